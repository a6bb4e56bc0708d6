import { type Role } from '../api/api.js';
import { partnerApi } from '../api/partner.js';
import { mayGrant, useSession } from '../session.js';
import { ActionForm, ResourcePage, text } from '../ui/resource.js';
import { useAction, useLoad } from '../ui/ui.js';
import { usePartner } from './partner-context.js';

const ROLES: { role: Role; label: string }[] = [
  { role: 'partner-member', label: 'member (customers, licenses, trials)' },
  { role: 'partner-admin', label: 'admin (also users and the report)' },
];

/** The partner's users (partner admins only): list, create with a partner role, and mail a set-password link. */
export function PartnerUsers() {
  const { me } = useSession();
  const { partner } = usePartner();
  const loaded = useLoad(() => partnerApi.listUsers(), 'users');
  const action = useAction();
  const roles = ROLES.filter((r) => mayGrant(me, r.role));

  async function create(form: FormData) {
    const name = text(form, 'name');
    const user = await partnerApi.createUser({ email: text(form, 'email'), role: text(form, 'role') as Role, partnerId: partner.id, ...(name ? { name } : {}) });
    await partnerApi.sendPasswordLink(user.id);
    loaded.reload();
    return `${user.email} was created; a link to set a password was mailed to them.`;
  }

  return (
    <>
      <ResourcePage
        id="partner-users"
        title="Users"
        create={
          roles.length > 0 ? (
            <ActionForm title="New user" submitLabel="Create user" onSubmit={create} reset>
              <label>
                E-mail
                <input name="email" type="email" required maxLength={254} />
              </label>
              <label>
                Name <span className="hint">(optional)</span>
                <input name="name" maxLength={200} />
              </label>
              <label>
                Role
                <select name="role" required defaultValue="partner-member">
                  {roles.map((r) => (
                    <option key={r.role} value={r.role}>
                      {r.label}
                    </option>
                  ))}
                </select>
              </label>
            </ActionForm>
          ) : null
        }
        loaded={loaded}
        empty="No users yet."
        columns={[
          { header: 'E-mail', cell: (u) => u.email },
          { header: 'Role', cell: (u) => u.role },
          { header: 'Status', cell: (u) => (u.disabled ? 'disabled' : 'active') },
          {
            header: 'Password link',
            hiddenHeader: true,
            cell: (u) => (
              <button type="button" disabled={action.busy} onClick={() => void action.run(async () => (await partnerApi.sendPasswordLink(u.id), `A link to set a password was mailed to ${u.email}.`))}>
                Send password link
              </button>
            ),
          },
        ]}
      />
      {action.notice ? (
        <p className="notice" role="status">
          {action.notice}
        </p>
      ) : null}
      {action.error ? <p className="error" role="alert">{action.error}</p> : null}
    </>
  );
}
