import { Link } from 'react-router-dom';
import { partnersApi, type Partner } from '../api/partners.js';
import { can, useSession } from '../session.js';
import { formatDate, useLoad } from '../ui/ui.js';
import { ActionForm, ResourcePage, text } from '../ui/resource.js';

/** Partners (resellers, distributors): each sells to its own customers, with rights per product group. */
export function Partners() {
  const { me } = useSession();
  const partners = useLoad(() => partnersApi.listPartners(), 'partners');

  async function create(form: FormData) {
    const email = text(form, 'email');
    const partner = await partnersApi.createPartner({ name: text(form, 'name'), ...(email ? { email } : {}), grants: [] });
    partners.reload();
    return `Partner ${partner.name} created: give it rights on its page.`;
  }

  return (
    <ResourcePage<Partner>
      id="partners"
      title="Partners"
      loaded={partners}
      empty="No partners yet."
      create={
        can(me, 'partners:write') ? (
          <ActionForm title="New partner" submitLabel="Create partner" onSubmit={create} reset>
            <label>
              Name
              <input name="name" required maxLength={200} />
            </label>
            <label>
              E-mail <span className="hint">(optional)</span>
              <input name="email" type="email" maxLength={320} />
            </label>
          </ActionForm>
        ) : undefined
      }
      columns={[
        { header: 'Name', cell: (partner) => <Link to={`/console/partners/${partner.id}`}>{partner.name}</Link> },
        { header: 'E-mail', cell: (partner) => partner.email ?? '—' },
        { header: 'Product groups', cell: (partner) => partner.grants.length },
        { header: 'Created', cell: (partner) => formatDate(partner.createdAt) },
        {
          header: 'Links',
          hiddenHeader: true,
          cell: (partner) => <Link to={`/console/licenses?soldBy=${partner.id}`}>Licenses sold</Link>,
        },
      ]}
    />
  );
}
