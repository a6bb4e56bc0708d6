import { useState, type FormEvent } from 'react';
import { isStaffRole, type Role } from '../api/api.js';
import { can, grantableRoles, mayGrant, useSession } from '../session.js';
import { ErrorMessage, messageOf, PagedTable, usePagedList } from '../ui/ui.js';
import { adminApi, type ManagedUser } from '../api/admin.js';
import { formatDateTime } from '../ui/format.js';
import { PasswordLinkOnce, type ShownLink } from '../ui/SecretOnce.js';

/** A set-password link the API returned once (deliver: show), for the staff member to hand over. */
const label = (user: ManagedUser) => user.name ?? user.email;

/**
 * Staff users (customer users are on the customer pages): invite with a role the signed-in user may
 * grant, change roles, disable and enable, and mail a set-password link.
 */
export function StaffUsers() {
  const { me } = useSession();
  const mayWrite = can(me, 'users:write');
  const grantable = grantableRoles(me).filter((role) => me != null && isStaffRole(me, role));
  const [round, setRound] = useState(0);
  const list = usePagedList((cursor) => adminApi.listStaffUsers(cursor), `staff|${round}`);
  const [error, setError] = useState<string | null>(null);
  const [inviteError, setInviteError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [shownLink, setShownLink] = useState<ShownLink | null>(null);

  async function run(change: () => Promise<string>) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      setNotice(await change());
      setRound((n) => n + 1);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  async function invite(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const name = String(form.get('name') ?? '').trim();
    const sendLink = form.get('sendLink') === 'on';
    setBusy(true);
    setInviteError(null);
    setNotice(null);
    try {
      const user = await adminApi.createUser({ email: String(form.get('email')).trim(), role: String(form.get('role')) as Role, ...(name ? { name } : {}) });
      let message = `${user.email} is a ${user.role} user now.`;
      if (sendLink) {
        const link = await adminApi.sendPasswordLink(user.id);
        message += ` A link to choose a password is on its way (valid until ${formatDateTime(link.expiresAt)}).`;
      } else {
        message += ' They cannot sign in until they have a password: send them a password link.';
      }
      formElement.reset();
      setNotice(message);
      setRound((n) => n + 1);
    } catch (caught) {
      setInviteError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Staff users</h1>
      <p className="hint">The people who sign in to this console. Customer users are managed on each customer&apos;s page.</p>
      {mayWrite && grantable.length ? (
        <details className="card">
          <summary>Invite a staff user</summary>
          <form className="stack-form" onSubmit={(event) => void invite(event)} aria-label="Invite a staff user">
            <div className="row">
              <label>
                E-mail
                <input name="email" type="email" required maxLength={254} autoComplete="off" />
              </label>
              <label>
                Name <span className="hint">(optional)</span>
                <input name="name" maxLength={200} autoComplete="off" />
              </label>
              <label>
                Role
                <select name="role" defaultValue="support">
                  {grantable.map((candidate) => (
                    <option key={candidate}>{candidate}</option>
                  ))}
                </select>
              </label>
            </div>
            <label className="check">
              <input name="sendLink" type="checkbox" defaultChecked />
              Mail them a link to choose their password
            </label>
            {inviteError ? <ErrorMessage message={inviteError} /> : null}
            <div>
              <button type="submit" className="primary" disabled={busy}>
                Invite
              </button>
            </div>
          </form>
        </details>
      ) : null}
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
      <PasswordLinkOnce link={shownLink} onDone={() => setShownLink(null)} />
      <PagedTable
        list={list}
        label="Staff users"
        empty="No staff users."
        columns={['E-mail', 'Name', 'Role', 'Status', 'Last sign-in', mayWrite ? <span className="visually-hidden">Actions</span> : null]}
        row={(user) => (
          <tr key={user.id}>
            <td>{user.email}</td>
            <td>{user.name ?? '—'}</td>
            <td>{user.role}</td>
            <td>
              {user.disabled ? <span className="badge badge-revoked">disabled</span> : <span className="badge badge-active">active</span>}
              {!user.hasPassword ? <div className="hint">no password yet</div> : null}
            </td>
            <td>{formatDateTime(user.lastSignInAt, 'never')}</td>
            {mayWrite ? (
              <td>
                {mayGrant(me, user.role) ? (
                  <UserActions user={user} self={me?.user?.id === user.id} grantable={grantable} busy={busy} run={run} onLink={setShownLink} />
                ) : (
                  <span className="hint">Only an owner can change an owner.</span>
                )}
              </td>
            ) : null}
          </tr>
        )}
      />
      {!mayWrite ? <p className="hint">Your role can see staff users but not change them.</p> : null}
    </section>
  );
}

function UserActions({
  user,
  self,
  grantable,
  busy,
  run,
  onLink,
}: {
  user: ManagedUser;
  self: boolean;
  grantable: Role[];
  busy: boolean;
  run: (change: () => Promise<string>) => Promise<void>;
  onLink: (link: ShownLink) => void;
}) {
  const [newRole, setNewRole] = useState<Role>(user.role);
  function changeRole(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void run(async () => {
      const updated = await adminApi.updateUser(user.id, { role: newRole });
      return `${label(updated)} is a ${updated.role} user now.`;
    });
  }
  return (
    <div className="user-actions">
      <form onSubmit={changeRole} aria-label={`Change role of ${user.email}`}>
        <label>
          <span className="visually-hidden">Role for {user.email}</span>
          <select value={newRole} onChange={(event) => setNewRole(event.target.value as Role)}>
            {grantable.map((candidate) => (
              <option key={candidate}>{candidate}</option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy || newRole === user.role}>
          Change role
        </button>
      </form>
      <div>
        {self ? null : user.disabled ? (
          <button type="button" disabled={busy} aria-label={`Enable ${user.email}`} onClick={() => void run(async () => (await adminApi.updateUser(user.id, { disabled: false }), `${label(user)} may sign in again.`))}>
            Enable
          </button>
        ) : (
          <button
            type="button"
            className="danger"
            disabled={busy}
            aria-label={`Disable ${user.email}`}
            onClick={() => void run(async () => (await adminApi.updateUser(user.id, { disabled: true }), `${label(user)} is disabled and signed out everywhere.`))}
          >
            Disable
          </button>
        )}
        {user.disabled ? null : (
          <button
            type="button"
            disabled={busy}
            aria-label={`Send password link to ${user.email}`}
            onClick={() =>
              void run(async () => {
                const link = await adminApi.sendPasswordLink(user.id);
                return `A password link is on its way to ${user.email} (valid until ${formatDateTime(link.expiresAt)}).`;
              })
            }
          >
            Send password link
          </button>
        )}
        {user.disabled ? null : (
          <button
            type="button"
            disabled={busy}
            aria-label={`Show link for ${user.email}`}
            onClick={() =>
              void run(async () => {
                const link = await adminApi.showPasswordLink(user.id);
                onLink({ email: user.email, ...link });
                return `A one-time link for ${user.email} is shown above; earlier links stopped working.`;
              })
            }
          >
            Show link
          </button>
        )}
      </div>
    </div>
  );
}
