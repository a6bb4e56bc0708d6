import { useId, useState } from 'react';
import { portalApi, type CustomerGroup, type GroupVisibility, type OrganizationUser } from '../api/portal.js';
import { can, useSession } from '../session.js';
import { ActionForm, DeleteButton, text } from '../ui/resource.js';
import { Empty, ErrorMessage, Show, TableWrap, useAction, useLoad } from '../ui/ui.js';

const VISIBILITY_TEXT: Record<GroupVisibility, string> = {
  members: 'every member sees the group’s tickets',
  admins: 'only the group’s admins see the group’s tickets',
};

function VisibilitySelect({ name, defaultValue = 'members' }: { name: string; defaultValue?: GroupVisibility }) {
  return (
    <label>
      Who sees tickets allocated to the group
      <select name={name} defaultValue={defaultValue}>
        {(Object.keys(VISIBILITY_TEXT) as GroupVisibility[]).map((v) => (
          <option key={v} value={v}>
            {v === 'members' ? 'All members' : 'Admins of the group only'}
          </option>
        ))}
      </select>
    </label>
  );
}

/** One group: rename, visibility, members (add a user of the organization, make or unmake admin, remove), delete. */
function GroupCard({ group, users, manage, onChanged }: { group: CustomerGroup; users: OrganizationUser[]; manage: boolean; onChanged: () => void }) {
  const action = useAction(onChanged);
  const [adding, setAdding] = useState('');
  const headingId = useId();
  const outside = users.filter((u) => !u.disabled && !group.members.some((m) => m.userId === u.id));
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{group.name}</h2>
      <p className="hint">Tickets allocated to the group: {VISIBILITY_TEXT[group.visibility]}.</p>
      {group.members.length === 0 ? (
        <Empty>No members yet.</Empty>
      ) : (
        <TableWrap label={`Members of ${group.name}`}>
          <table>
            <caption className="visually-hidden">Members of {group.name}</caption>
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role in the group</th>
                {manage ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {group.members.map((m) => (
                <tr key={m.userId}>
                  <td>{m.name ? `${m.name} (${m.email})` : m.email}</td>
                  <td>{m.admin ? 'Group admin' : 'Member'}</td>
                  {manage ? (
                    <td className="actions">
                      <button
                        type="button"
                        disabled={action.busy}
                        onClick={() => void action.run(async () => (await portalApi.setMember(group.id, m.userId, !m.admin), `${m.email} is now ${m.admin ? 'a member' : 'a group admin'}.`))}
                      >
                        {m.admin ? 'Make plain member' : 'Make group admin'}
                        <span className="visually-hidden"> ({m.email})</span>
                      </button>
                      <button
                        type="button"
                        disabled={action.busy}
                        onClick={() => {
                          if (window.confirm(`Remove ${m.email} from ${group.name}? Tickets allocated to them stay theirs until allocated again.`)) {
                            void action.run(async () => (await portalApi.removeMember(group.id, m.userId), `${m.email} left ${group.name}.`));
                          }
                        }}
                      >
                        Remove<span className="visually-hidden"> ({m.email})</span>
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {manage ? (
        <>
          <form
            className="inline-form compact"
            aria-label={`Add a member to ${group.name}`}
            onSubmit={(event) => {
              event.preventDefault();
              if (adding) void action.run(async () => (await portalApi.setMember(group.id, adding, false), 'Member added.')).then(() => setAdding(''));
            }}
          >
            <label>
              Add a user of your organization
              <select value={adding} onChange={(event) => setAdding(event.target.value)}>
                <option value="">Choose a user…</option>
                {outside.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name ? `${u.name} (${u.email})` : u.email}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" disabled={action.busy || !adding}>
              Add member
            </button>
          </form>
          <details className="card">
            <summary>Rename, change visibility or delete</summary>
            <ActionForm
              title={`Change ${group.name}`}
              submitLabel="Save group"
              className="inline-form"
              onSubmit={async (form) => {
                await portalApi.updateGroup(group.id, { name: text(form, 'name'), visibility: text(form, 'visibility') as GroupVisibility });
                onChanged();
                return 'Saved.';
              }}
            >
              <label>
                Name
                <input name="name" required maxLength={200} defaultValue={group.name} />
              </label>
              <VisibilitySelect name="visibility" defaultValue={group.visibility} />
            </ActionForm>
            <DeleteButton
              what={`group ${group.name}`}
              consequence="Its members stay users of your organization; the licenses allocated to the group go back to the organization."
              onDelete={() => portalApi.deleteGroup(group.id)}
              onDeleted={onChanged}
            />
          </details>
        </>
      ) : null}
      {action.notice ? (
        <p className="success" role="status">
          {action.notice}
        </p>
      ) : null}
      {action.error ? <ErrorMessage message={action.error} /> : null}
    </section>
  );
}

/**
 * The organization's groups of people (departments): customer admins create, change and delete them and
 * manage their members; a member sees the groups it is in (and, as a group admin, their members).
 */
export function PortalGroups() {
  const { me } = useSession();
  const customerId = me?.actor.customerId ?? '';
  const manage = can(me, 'customer-groups:write');
  const loaded = useLoad(async () => {
    const [groups, users] = await Promise.all([portalApi.listGroups(customerId), can(me, 'users:read') ? portalApi.listUsers(customerId) : Promise.resolve([])]);
    return { groups, users };
  }, `groups-${customerId}`);
  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">Groups</h1>
      <p className="hint">Groups of your organization’s people (departments, teams). Licenses can be allocated to a group or to one of its members.</p>
      {manage ? (
        <ActionForm
          title="New group"
          submitLabel="Create group"
          reset
          onSubmit={async (form) => {
            const created = await portalApi.createGroup(customerId, { name: text(form, 'name'), visibility: text(form, 'visibility') as GroupVisibility });
            loaded.reload();
            return `Group ${created.name} created.`;
          }}
        >
          <label>
            Name
            <input name="name" required maxLength={200} />
          </label>
          <VisibilitySelect name="visibility" />
        </ActionForm>
      ) : null}
      <Show loaded={loaded}>
        {({ groups, users }) =>
          groups.length === 0 ? (
            <Empty>{manage ? 'Your organization has no groups yet.' : 'You are in no group.'}</Empty>
          ) : (
            <>
              {groups.map((group) => (
                <GroupCard key={group.id} group={group} users={users} manage={manage} onChanged={loaded.reload} />
              ))}
            </>
          )
        }
      </Show>
    </section>
  );
}
