import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError } from '../api/api.js';
import { can, useSession } from '../session.js';
import { Empty, formatDate, NotFoundPage, seats, Show, StatusBadge, useLoad } from '../ui/ui.js';
import { catalogApi, CUSTOMER_ROLES, type Contact, type CustomerRecord } from '../api/catalog.js';
import { formatDateTime } from '../ui/format.js';
import { ActionForm, DeleteButton, ResourceTable, StaffNotes, text } from '../ui/resource.js';
import { ContractsSection } from '../partners/Contracts.js';
import { PartnerLink } from '../partners/PartnerFilter.js';
import { OrganizationUsers, type OrganizationUsersOptions } from '../administration/OrganizationUsers.js';
import { ValidationLog } from './ValidationLog.js';

/** The server's limit for a customer's staff notes (longer notes are refused with a 400 naming it). */
const CUSTOMER_NOTES_MAX_LENGTH = 10_000;

const ROLE_LABELS: Record<string, string> = { 'customer-admin': 'admin (reveals keys, manages machines)', 'customer-member': 'member (sees licenses)' };

function CustomerEditor({ customer, onSaved }: { customer: CustomerRecord; onSaved: () => void }) {
  const [contacts, setContacts] = useState<Contact[]>(customer.contacts);
  const change = (index: number, field: keyof Contact, value: string) =>
    setContacts((list) => list.map((contact, i) => (i === index ? { ...contact, [field]: value } : contact)));

  async function save(form: FormData) {
    const notes = text(form, 'notes');
    await catalogApi.updateCustomer(customer.id, {
      name: text(form, 'name'),
      email: text(form, 'email'),
      notes: notes || null,
      // Optional contact fields left empty are left out: the API checks an e-mail's format when present.
      contacts: contacts
        .filter((contact) => contact.name.trim())
        .map((contact) => Object.fromEntries(Object.entries(contact).map(([k, v]) => [k, String(v).trim()]).filter(([, v]) => v)) as unknown as Contact),
    });
    onSaved();
    return 'Saved.';
  }

  return (
    <ActionForm title="Edit customer" submitLabel="Save customer" onSubmit={save} className="card stack-form">
      <div className="row">
        <label>
          Organization name
          <input name="name" required maxLength={200} defaultValue={customer.name} />
        </label>
        <label>
          Billing e-mail
          <input name="email" type="email" required maxLength={320} defaultValue={customer.email} />
        </label>
      </div>
      <StaffNotes limit={CUSTOMER_NOTES_MAX_LENGTH} defaultValue={customer.notes} />
      {contacts.map((contact, index) => (
        <fieldset className="group" key={index}>
          <legend>Contact {index + 1}</legend>
          <div className="row">
            <label>
              Contact name
              <input required maxLength={200} value={contact.name} onChange={(event) => change(index, 'name', event.target.value)} />
            </label>
            <label>
              Contact e-mail
              <input type="email" maxLength={320} value={contact.email ?? ''} onChange={(event) => change(index, 'email', event.target.value)} />
            </label>
            <label>
              Phone
              <input maxLength={50} value={contact.phone ?? ''} onChange={(event) => change(index, 'phone', event.target.value)} />
            </label>
            <label>
              Position <span className="hint">(e.g. IT lead)</span>
              <input maxLength={100} value={contact.role ?? ''} onChange={(event) => change(index, 'role', event.target.value)} />
            </label>
          </div>
          <button type="button" onClick={() => setContacts((list) => list.filter((_, i) => i !== index))}>
            Remove contact {index + 1}
          </button>
        </fieldset>
      ))}
      <p className="inline-actions">
        <button type="button" onClick={() => setContacts((list) => [...list, { name: '' }])}>
          Add a contact
        </button>
      </p>
    </ActionForm>
  );
}

/** The organization's portal users: invite (a set-password link goes out by mail), change role, disable, send a new link. */
const CUSTOMER_USERS: OrganizationUsersOptions = {
  titleId: 'users-title',
  caption: 'Users of the organization',
  empty: 'No portal users yet.',
  inviteTitle: 'Invite a user',
  roles: CUSTOMER_ROLES.map((role) => ({ role, label: ROLE_LABELS[role] ?? role })),
  defaultRole: 'customer-member',
  manage: true,
  optionalLink: false,
  linkSent: (email) => `A new password link is on its way to ${email}.`,
  invited: (user, link) => `Invited ${user.email}: a link to choose a password is on its way (valid until ${formatDateTime(link?.expiresAt)}).`,
};

function CustomerLicenses({ customerId }: { customerId: string }) {
  const licenses = useLoad(() => api.listLicenses({ customerId, limit: 10 }), `licenses:${customerId}`);
  return (
    <section aria-labelledby="licenses-title">
      <h2 id="licenses-title">Licenses</h2>
      <Show loaded={licenses}>
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No licenses yet.</Empty>
          ) : (
            <>
              <ResourceTable
                caption="Licenses of the customer"
                rows={page.data}
                columns={[
                  { header: 'Name', cell: (license) => <Link to={`/console/licenses/${license.id}`}>{license.name}</Link> },
                  { header: 'Product', cell: (license) => license.product },
                  { header: 'Status', cell: (license) => <StatusBadge status={license.status} /> },
                  { header: 'Machines', cell: (license) => seats(license) },
                  { header: 'Expires', cell: (license) => formatDate(license.expiresAt, 'never') },
                ]}
              />
              {page.nextCursor ? <p>Showing the 10 newest.</p> : null}
            </>
          )
        }
      </Show>
      <p>
        <Link to={`/console/licenses?customerId=${customerId}`}>All licenses of this customer</Link>
      </p>
    </section>
  );
}

function CustomerOrders({ customerId }: { customerId: string }) {
  const orders = useLoad(() => catalogApi.listOrders(customerId), `orders:${customerId}`);
  return (
    <section aria-labelledby="orders-title">
      <h2 id="orders-title">Orders</h2>
      <Show loaded={orders}>
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No orders.</Empty>
          ) : (
            <ResourceTable
              caption="Orders of the customer"
              rows={page.data}
              columns={[
                { header: 'Date', cell: (order) => formatDate(order.createdAt) },
                { header: 'Source', cell: (order) => order.source },
                { header: 'Reference', cell: (order) => <code>{order.externalId}</code> },
                { header: 'Items', cell: (order) => order.items.length },
                { header: 'Total', cell: (order) => (order.total !== null ? `${(order.total / 100).toFixed(2)} ${order.currency ?? ''}` : '—') },
              ]}
            />
          )
        }
      </Show>
    </section>
  );
}

export function CustomerDetail() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const { me } = useSession();
  const loaded = useLoad(() => catalogApi.getCustomer(id), id);

  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="customer" back="/console/customers" />;

  return (
    <Show loaded={loaded}>
      {(customer) => (
        <section aria-labelledby="customer-title">
          <p>
            <Link to="/console/customers">← Customers</Link>
          </p>
          <h1 id="customer-title">{customer.name}</h1>
          <dl className="facts">
            <dt>Billing e-mail</dt>
            <dd>{customer.email}</dd>
            <dt>Contacts</dt>
            <dd>
              {customer.contacts.length
                ? customer.contacts.map((c) => [c.name, c.role, c.email, c.phone].filter(Boolean).join(', ')).join('; ')
                : '—'}
            </dd>
            <dt>Notes</dt>
            <dd className="pre-line">{customer.notes || '—'}</dd>
            <dt>Customer since</dt>
            <dd>{formatDate(customer.createdAt)}</dd>
            {customer.partnerId ? (
              <>
                <dt>Partner</dt>
                <dd>
                  <PartnerLink partnerId={customer.partnerId} />
                </dd>
              </>
            ) : null}
          </dl>
          <p className="actions">
            <Link to={`/console/events?customerId=${customer.id}`}>History</Link>
          </p>
          {can(me, 'users:read') ? <OrganizationUsers holder={{ customerId: customer.id }} options={CUSTOMER_USERS} /> : null}
          <CustomerLicenses customerId={customer.id} />
          <CustomerOrders customerId={customer.id} />
          {can(me, 'events:read') ? <ValidationLog scope={{ customerId: customer.id }} licenseLink={(licenseId) => `/console/licenses/${licenseId}`} /> : null}
          {can(me, 'contracts:read') ? <ContractsSection holder={{ customerId: customer.id }} holderName={customer.name} /> : null}
          {can(me, 'customers:write') ? (
            <>
              <CustomerEditor customer={customer} onSaved={loaded.reload} />
              <div className="actions">
                <DeleteButton
                  what={`customer ${customer.name}`}
                  consequence="Only a customer without licenses and users can be deleted."
                  onDelete={() => catalogApi.deleteCustomer(customer.id)}
                  onDeleted={() => navigate('/console/customers')}
                />
              </div>
            </>
          ) : null}
        </section>
      )}
    </Show>
  );
}
