import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ApiError } from '../api/api.js';
import { PARTNER_RIGHTS, PARTNER_ROLES, partnersApi, type Partner, type PartnerRight, type ProductGroup } from '../api/partners.js';
import { can, mayGrant, useSession } from '../session.js';
import { Empty, ErrorMessage, formatDate, NotFoundPage, Show, TableWrap, useAction, useLoad } from '../ui/ui.js';
import { ActionForm, ResourceTable, text } from '../ui/resource.js';
import { formatDateTime } from '../ui/format.js';
import { ContractsSection } from './Contracts.js';
import { OrganizationUsers, type OrganizationUsersOptions } from '../administration/OrganizationUsers.js';

/**
 * One partner: its details, its rights per product group (a matrix of checkboxes saved as `grants`), its
 * users, the contracts it holds, and links to its customers and the licenses it sold.
 */

type Rights = Record<string, readonly PartnerRight[]>;

const PARTNER_ROLE_LABELS: Record<(typeof PARTNER_ROLES)[number], string> = {
  'partner-admin': 'partner-admin (manages its users, reads reports)',
  'partner-member': 'partner-member (sells within its rights)',
};

const rightsOf = (partner: Partner): Rights => Object.fromEntries(partner.grants.map((grant) => [grant.productGroupId, grant.rights]));

/** Rows: the product groups; columns: the rights. Saved whole (`updatePartner` replaces every grant). */
function RightsMatrix({ partner, groups, mayWrite, onSaved }: { partner: Partner; groups: ProductGroup[]; mayWrite: boolean; onSaved: () => void }) {
  const [rights, setRights] = useState<Rights>(() => rightsOf(partner));
  const { busy, error, notice, run } = useAction(onSaved);
  const toggle = (groupId: string, right: PartnerRight, on: boolean) =>
    setRights((current) => {
      const held = current[groupId] ?? [];
      return { ...current, [groupId]: on ? PARTNER_RIGHTS.filter((r) => r === right || held.includes(r)) : held.filter((r) => r !== right) };
    });

  function save() {
    void run(async () => {
      const grants = groups.filter((group) => (rights[group.id] ?? []).length > 0).map((group) => ({ productGroupId: group.id, rights: [...(rights[group.id] ?? [])] }));
      const saved = await partnersApi.updatePartner(partner.id, { grants });
      setRights(rightsOf(saved));
      return `Rights of ${saved.name} saved.`;
    });
  }

  return (
    <section aria-labelledby="rights-title">
      <h2 id="rights-title">Rights per product group</h2>
      <p className="hint">What the partner&apos;s users may do with the products of each group. No right on a group: its products are out of their sight.</p>
      {groups.length === 0 ? (
        <Empty>
          No product groups yet: <Link to="/console/product-groups">create one</Link> first.
        </Empty>
      ) : (
        <TableWrap label="Rights matrix">
          <table className="matrix" data-testid="rights-matrix">
            <caption className="visually-hidden">Rights of {partner.name} per product group</caption>
            <thead>
              <tr>
                <th scope="col">Product group</th>
                {PARTNER_RIGHTS.map((right) => (
                  <th scope="col" key={right}>
                    <code>{right}</code>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {groups.map((group) => (
                <tr key={group.id}>
                  <th scope="row">{group.name}</th>
                  {PARTNER_RIGHTS.map((right) => (
                    <td key={right}>
                      <input
                        type="checkbox"
                        aria-label={`${right} on ${group.name}`}
                        checked={(rights[group.id] ?? []).includes(right)}
                        disabled={!mayWrite || busy}
                        onChange={(event) => toggle(group.id, right, event.target.checked)}
                      />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {mayWrite && groups.length > 0 ? (
        <div className="actions">
          <button type="button" className="primary" disabled={busy} onClick={save}>
            Save rights
          </button>
        </div>
      ) : null}
      {notice ? (
        <p className="success" role="status">
          {notice}
        </p>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
    </section>
  );
}

/** The partner's users: invite one (partner-admin or partner-member, as the signed-in role may grant), mail or show a password link. */
function PartnerUsers({ partner }: { partner: Partner }) {
  const { me } = useSession();
  const options: OrganizationUsersOptions = {
    titleId: 'partner-users-title',
    caption: `Users of ${partner.name}`,
    empty: 'No users of this partner yet.',
    inviteTitle: 'Invite a partner user',
    roles: PARTNER_ROLES.filter((role) => mayGrant(me, role)).map((role) => ({ role, label: PARTNER_ROLE_LABELS[role] })),
    defaultRole: 'partner-member',
    manage: false,
    optionalLink: true,
    linkSent: (email) => `A password link is on its way to ${email}.`,
    invited: (user, link) =>
      link
        ? `Invited ${user.email} as ${user.role}: a link to choose a password is on its way (valid until ${formatDateTime(link.expiresAt)}).`
        : `${user.email} is a ${user.role} of ${partner.name} now; send a password link for them to sign in.`,
  };
  return <OrganizationUsers holder={{ partnerId: partner.id }} options={options} />;
}

/** The partner's customers (the first page) and where to see all of them and the licenses it sold. */
function PartnerCustomers({ partner }: { partner: Partner }) {
  const customers = useLoad(() => partnersApi.listPartnerCustomers(partner.id), `partner-customers:${partner.id}`);
  return (
    <section aria-labelledby="partner-customers-title">
      <h2 id="partner-customers-title">Customers</h2>
      <Show loaded={customers}>
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No customers belong to this partner yet.</Empty>
          ) : (
            <>
              <ResourceTable
                caption={`Customers of ${partner.name}`}
                rows={page.data}
                columns={[
                  { header: 'Name', cell: (customer) => <Link to={`/console/customers/${customer.id}`}>{customer.name}</Link> },
                  { header: 'E-mail', cell: (customer) => customer.email },
                  { header: 'Since', cell: (customer) => formatDate(customer.createdAt) },
                ]}
              />
              {page.nextCursor ? <p className="hint">Showing the {page.data.length} newest.</p> : null}
            </>
          )
        }
      </Show>
      <p className="actions">
        <Link to={`/console/customers?partnerId=${partner.id}`}>All customers of {partner.name}</Link>
        <Link to={`/console/licenses?soldBy=${partner.id}`}>Licenses sold by {partner.name}</Link>
        <Link to={`/console/licenses?partnerId=${partner.id}`}>Licenses of its customers</Link>
        <Link to={`/console/orders?partnerId=${partner.id}`}>Orders of its customers</Link>
      </p>
    </section>
  );
}

function PartnerEditor({ partner, onSaved }: { partner: Partner; onSaved: () => void }) {
  return (
    <ActionForm
      title="Edit partner"
      submitLabel="Save partner"
      onSubmit={async (form) => {
        const email = text(form, 'email');
        await partnersApi.updatePartner(partner.id, { name: text(form, 'name'), email: email || null });
        onSaved();
        return 'Saved.';
      }}
    >
      <label>
        Name
        <input name="name" required maxLength={200} defaultValue={partner.name} />
      </label>
      <label>
        E-mail <span className="hint">(optional)</span>
        <input name="email" type="email" maxLength={320} defaultValue={partner.email ?? ''} />
      </label>
    </ActionForm>
  );
}

export function PartnerDetail() {
  const { id = '' } = useParams();
  const { me } = useSession();
  const mayWrite = can(me, 'partners:write');
  const loaded = useLoad(async () => {
    const [partner, groups] = await Promise.all([partnersApi.getPartner(id), partnersApi.listProductGroups()]);
    return { partner, groups };
  }, id);

  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="partner" back="/console/partners" />;

  return (
    <Show loaded={loaded}>
      {({ partner, groups }) => (
        <section aria-labelledby="partner-title">
          <p>
            <Link to="/console/partners">← Partners</Link>
          </p>
          <h1 id="partner-title">{partner.name}</h1>
          <dl className="facts">
            <dt>E-mail</dt>
            <dd>{partner.email ?? '—'}</dd>
            <dt>Partner since</dt>
            <dd>{formatDate(partner.createdAt)}</dd>
          </dl>
          <p className="actions">
            <Link to={`/console/events?targetType=partner&targetId=${partner.id}`}>History</Link>
          </p>
          <RightsMatrix key={partner.updatedAt} partner={partner} groups={groups} mayWrite={mayWrite} onSaved={() => undefined} />
          {can(me, 'users:read') ? <PartnerUsers partner={partner} /> : null}
          {can(me, 'contracts:read') ? <ContractsSection holder={{ partnerId: partner.id }} holderName={partner.name} /> : null}
          <PartnerCustomers partner={partner} />
          {mayWrite ? <PartnerEditor partner={partner} onSaved={loaded.reload} /> : null}
        </section>
      )}
    </Show>
  );
}
