import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, type Role } from '../api/api.js';
import { can, useSession } from '../session.js';
import { Empty, ErrorMessage, formatDate, messageOf, NotFoundPage, seats, Show, StatusBadge, useAction, useLoad } from '../ui/ui.js';
import { catalogApi, CUSTOMER_ROLES, type Contact, type CustomerRecord, type UserRecord } from '../api/catalog.js';
import { formatDateTime } from '../ui/format.js';
import { ActionForm, DeleteButton, ResourceTable, StaffNotes, text } from '../ui/resource.js';
import { PasswordLinkOnce, type ShownLink } from '../ui/SecretOnce.js';
import { ContractsSection } from '../partners/Contracts.js';
import { PartnerLink } from '../partners/PartnerFilter.js';

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

function userState(user: UserRecord): string {
  if (user.disabled) return 'disabled';
  return user.hasPassword ? 'active' : 'invited (no password yet)';
}

/** The organization's portal users: invite (a set-password link goes out by mail), change role, disable, send a new link. */
function CustomerUsers({ customerId }: { customerId: string }) {
  const { me } = useSession();
  const mayWrite = can(me, 'users:write');
  const users = useLoad(() => catalogApi.listUsers({ customerId }), `users:${customerId}`);
  const { busy, error, notice, run } = useAction(() => users.reload());
  const [shownLink, setShownLink] = useState<ShownLink | null>(null);

  async function invite(form: FormData) {
    const name = text(form, 'name');
    const user = await catalogApi.createUser({ email: text(form, 'email'), role: text(form, 'role') as Role, customerId, ...(name ? { name } : {}) });
    const link = await catalogApi.sendPasswordLink(user.id);
    users.reload();
    return `Invited ${user.email}: a link to choose a password is on its way (valid until ${formatDateTime(link.expiresAt)}).`;
  }

  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <Show loaded={users}>
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No portal users yet.</Empty>
          ) : (
            <ResourceTable
              caption="Users of the organization"
              rows={page.data}
              columns={[
                { header: 'E-mail', cell: (user) => user.email },
                { header: 'Name', cell: (user) => user.name ?? '—' },
                {
                  header: 'Role',
                  cell: (user) =>
                    mayWrite ? (
                      <select
                        aria-label={`Role of ${user.email}`}
                        value={user.role}
                        disabled={busy}
                        onChange={(event) => {
                          const role = event.target.value as Role;
                          void run(async () => (await catalogApi.updateUser(user.id, { role }), `${user.email} is now ${role}.`));
                        }}
                      >
                        {CUSTOMER_ROLES.map((role) => (
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
                              <button
                                type="button"
                                disabled={busy}
                                onClick={() => void run(async () => (await catalogApi.sendPasswordLink(user.id), `A new password link is on its way to ${user.email}.`))}
                              >
                                Send password link<span className="visually-hidden"> to {user.email}</span>
                              </button>
                            )}
                            {user.disabled ? null : (
                              <button
                                type="button"
                                disabled={busy}
                                onClick={() =>
                                  void run(async () => {
                                    const link = await catalogApi.showPasswordLink(user.id);
                                    setShownLink({ email: user.email, ...link });
                                    return `A one-time link for ${user.email} is shown below; earlier links stopped working.`;
                                  })
                                }
                              >
                                Show link<span className="visually-hidden"> for {user.email}</span>
                              </button>
                            )}
                            <button
                              type="button"
                              disabled={busy}
                              onClick={() =>
                                void run(async () => (await catalogApi.updateUser(user.id, { disabled: !user.disabled }), `${user.email} is ${user.disabled ? 'enabled' : 'disabled'}.`))
                              }
                            >
                              {user.disabled ? 'Enable' : 'Disable'}
                              <span className="visually-hidden"> {user.email}</span>
                            </button>
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
        <ActionForm title="Invite a user" submitLabel="Invite" onSubmit={invite} reset>
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
            <select name="role" defaultValue="customer-member">
              {CUSTOMER_ROLES.map((role) => (
                <option key={role} value={role}>
                  {ROLE_LABELS[role]}
                </option>
              ))}
            </select>
          </label>
        </ActionForm>
      ) : null}
    </section>
  );
}

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
          {can(me, 'users:read') ? <CustomerUsers customerId={customer.id} /> : null}
          <CustomerLicenses customerId={customer.id} />
          <CustomerOrders customerId={customer.id} />
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
