import { useState } from 'react';
import { type Role } from '../api/api.js';
import { adminApi } from '../api/admin.js';
import { catalogApi, type UserRecord } from '../api/catalog.js';
import { partnersApi } from '../api/partners.js';
import { can, useSession } from '../session.js';
import { Empty, ErrorMessage, Show, useAction, useLoad } from '../ui/ui.js';
import { ActionForm, ResourceTable, text } from '../ui/resource.js';
import { formatDateTime } from '../ui/format.js';
import { PasswordLinkOnce, type ShownLink } from '../ui/SecretOnce.js';

/**
 * The users of an organization staff look after in the console, a customer organization or a partner: the table
 * (with a set-password link to mail or show once), and the invite form. Written once for both holders' pages;
 * what differs is in `OrganizationUsersOptions`.
 */

/** Whose users: a customer organization or a partner. */
export type UsersHolder = { customerId: string } | { partnerId: string };

export interface OrganizationUsersOptions {
  /** The id of the section's heading, the table's caption, and the words of an empty table. */
  titleId: string;
  caption: string;
  empty: string;
  /** The invite form's title, the roles it offers (already those the signed-in role may grant) and which comes first. */
  inviteTitle: string;
  roles: readonly { role: Role; label: string }[];
  defaultRole: Role;
  /** Customer organizations: change a user's role and disable or enable them in the table. */
  manage: boolean;
  /** Partners: the invite form may leave the password link unsent (staff show it instead). */
  optionalLink: boolean;
  /** What is said once a password link is mailed, and once someone is invited (`link` null: none was sent). */
  linkSent: (email: string) => string;
  invited: (user: UserRecord, link: { expiresAt: string } | null) => string;
}

function userState(user: UserRecord): string {
  if (user.disabled) return 'disabled';
  return user.hasPassword ? 'active' : 'invited (no password yet)';
}

/** The first page of a customer organization's users, or every user of a partner. */
function listUsers(holder: UsersHolder): Promise<UserRecord[]> {
  return 'customerId' in holder ? catalogApi.listUsers({ customerId: holder.customerId }).then((page) => page.data) : partnersApi.listPartnerUsers(holder.partnerId);
}

export function OrganizationUsers({ holder, options }: { holder: UsersHolder; options: OrganizationUsersOptions }) {
  const { me } = useSession();
  const mayWrite = can(me, 'users:write') && options.roles.length > 0;
  const key = 'customerId' in holder ? `users:${holder.customerId}` : `partner-users:${holder.partnerId}`;
  const users = useLoad(() => listUsers(holder), key);
  const { busy, error, notice, run } = useAction(() => users.reload());
  const [shownLink, setShownLink] = useState<ShownLink | null>(null);

  async function invite(form: FormData) {
    const name = text(form, 'name');
    const user = await adminApi.createUser({ email: text(form, 'email'), role: text(form, 'role') as Role, ...holder, ...(name ? { name } : {}) });
    const link = options.optionalLink && form.get('sendLink') !== 'on' ? null : await adminApi.sendPasswordLink(user.id);
    users.reload();
    return options.invited(user, link);
  }

  return (
    <section aria-labelledby={options.titleId}>
      <h2 id={options.titleId}>Users</h2>
      <Show loaded={users}>
        {(rows) =>
          rows.length === 0 ? (
            <Empty>{options.empty}</Empty>
          ) : (
            <ResourceTable
              caption={options.caption}
              rows={rows}
              columns={[
                { header: 'E-mail', cell: (user) => user.email },
                { header: 'Name', cell: (user) => user.name ?? '—' },
                {
                  header: 'Role',
                  cell: (user) =>
                    mayWrite && options.manage ? (
                      <select
                        aria-label={`Role of ${user.email}`}
                        value={user.role}
                        disabled={busy}
                        onChange={(event) => {
                          const role = event.target.value as Role;
                          void run(async () => (await adminApi.updateUser(user.id, { role }), `${user.email} is now ${role}.`));
                        }}
                      >
                        {options.roles.map(({ role }) => (
                          <option key={role} value={role}>
                            {role}
                          </option>
                        ))}
                      </select>
                    ) : (
                      user.role
                    ),
                },
                { header: 'State', cell: (user) => <span data-testid={`user-state-${user.email}`}>{userState(user)}</span> },
                { header: 'Last sign-in', cell: (user) => formatDateTime(user.lastSignInAt, 'never') },
                ...(mayWrite
                  ? [
                      {
                        header: 'Actions',
                        hiddenHeader: true,
                        cell: (user: UserRecord) => (
                          <span className="row-actions">
                            {user.disabled ? null : (
                              <>
                                <button type="button" disabled={busy} onClick={() => void run(async () => (await adminApi.sendPasswordLink(user.id), options.linkSent(user.email)))}>
                                  Send password link<span className="visually-hidden"> to {user.email}</span>
                                </button>
                                <button
                                  type="button"
                                  disabled={busy}
                                  onClick={() =>
                                    void run(async () => {
                                      const link = await adminApi.showPasswordLink(user.id);
                                      setShownLink({ email: user.email, ...link });
                                      return `A one-time link for ${user.email} is shown below; earlier links stopped working.`;
                                    })
                                  }
                                >
                                  Show link<span className="visually-hidden"> for {user.email}</span>
                                </button>
                              </>
                            )}
                            {options.manage ? (
                              <button
                                type="button"
                                disabled={busy}
                                onClick={() =>
                                  void run(async () => (await adminApi.updateUser(user.id, { disabled: !user.disabled }), `${user.email} is ${user.disabled ? 'enabled' : 'disabled'}.`))
                                }
                              >
                                {user.disabled ? 'Enable' : 'Disable'}
                                <span className="visually-hidden"> {user.email}</span>
                              </button>
                            ) : null}
                          </span>
                        ),
                      },
                    ]
                  : []),
              ]}
            />
          )
        }
      </Show>
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
      <PasswordLinkOnce link={shownLink} onDone={() => setShownLink(null)} />
      {mayWrite ? (
        <ActionForm title={options.inviteTitle} submitLabel="Invite" onSubmit={invite} reset>
          <label>
            E-mail
            <input name="email" type="email" required maxLength={320} />
          </label>
          <label>
            Name <span className="hint">(optional)</span>
            <input name="name" maxLength={200} />
          </label>
          <label>
            Role
            <select name="role" defaultValue={options.defaultRole}>
              {options.roles.map(({ role, label }) => (
                <option key={role} value={role}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          {options.optionalLink ? (
            <label className="check">
              <input name="sendLink" type="checkbox" defaultChecked />
              Mail them a link to choose their password
            </label>
          ) : null}
        </ActionForm>
      ) : null}
    </section>
  );
}
