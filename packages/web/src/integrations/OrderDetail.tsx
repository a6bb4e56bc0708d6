import { Link, useParams } from 'react-router-dom';
import { api, ApiError, type AuditEvent, type License } from '../api/api.js';
import { can, useSession } from '../session.js';
import { Empty, formatDate, messageOf, NotFoundPage, Show, StatusBadge, TableWrap, useLoad } from '../ui/ui.js';
import { formatDateTime } from '../ui/format.js';
import { formatMoney, opsApi, SOURCE_LABELS, type OutboxMail } from '../api/ops.js';

/** A part of the page that may be refused (a role without events:read or mail:read) without failing the page. */
type Part<T> = { ok: true; value: T } | { ok: false; message: string };
async function part<T>(load: () => Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await load() };
  } catch (caught) {
    return { ok: false, message: messageOf(caught) };
  }
}

export function OrderDetail() {
  const { id = '' } = useParams();
  const { me } = useSession();
  const mayReadMail = can(me, 'mail:read');
  const loaded = useLoad(async () => {
    const order = await opsApi.getOrder(id);
    const [licenses, customer, products, events, mails] = await Promise.all([
      Promise.all(order.items.map((item) => part(() => api.getLicense(item.licenseId)))),
      part(() => api.getCustomer(order.customerId)),
      api.listProducts(),
      part(() => opsApi.orderEvents(id).then((page) => page.data)),
      mayReadMail ? part(() => Promise.all(order.mailIds.map((mailId) => opsApi.getMail(mailId)))) : null,
    ]);
    return { order, licenses, customer, products, events, mails };
  }, `${id}|${mayReadMail}`);

  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="order" back="/console/orders" />;

  return (
    <Show loaded={loaded}>
      {({ order, licenses, customer, products, events, mails }) => {
        const productName = (productId: string) => products.find((p) => p.id === productId)?.name ?? productId;
        return (
          <section aria-labelledby="order-title">
            <p>
              <Link to="/console/orders">← Orders</Link>
            </p>
            <h1 id="order-title">Order {order.externalId}</h1>
            <dl className="facts">
              <dt>Customer</dt>
              <dd>
                {customer.ok ? <Link to={`/console/licenses?customerId=${order.customerId}`}>{customer.value.name}</Link> : order.customerId}
              </dd>
              <dt>Buyer</dt>
              <dd>
                {[order.customerName, order.company].filter(Boolean).join(', ') || '—'} · {order.email}
              </dd>
              <dt>Source</dt>
              <dd>{SOURCE_LABELS[order.source]}</dd>
              <dt>Amount</dt>
              <dd>{formatMoney(order.total, order.currency)}</dd>
              <dt>Payment</dt>
              <dd>{order.billing.paymentStatus ?? '—'}</dd>
              <dt>Purchase method</dt>
              <dd>{order.billing.purchaseMethod ?? '—'}</dd>
              <dt>Invoice</dt>
              <dd>
                {order.billing.invoiceUrl ? (
                  <a href={order.billing.invoiceUrl} rel="noreferrer noopener" target="_blank">
                    {order.billing.reference ?? 'Open the invoice'}
                  </a>
                ) : (
                  (order.billing.reference ?? '—')
                )}
              </dd>
              {order.subscriptionRef ? (
                <>
                  <dt>Shop subscription</dt>
                  <dd>
                    <code>{order.subscriptionRef}</code>
                  </dd>
                </>
              ) : null}
              <dt>Created</dt>
              <dd>{formatDateTime(order.createdAt)}</dd>
            </dl>

            <h2>Lines and licenses</h2>
            <TableWrap label="Order lines">
              <table>
                <caption className="visually-hidden">Order lines</caption>
                <thead>
                  <tr>
                    <th scope="col">Product</th>
                    <th scope="col">Quantity</th>
                    <th scope="col">Price</th>
                    <th scope="col">License</th>
                    <th scope="col">Status</th>
                    <th scope="col">Expires</th>
                  </tr>
                </thead>
                <tbody>
                  {order.items.map((item, i) => {
                    const license = licenses[i]!;
                    return (
                      <tr key={item.licenseId}>
                        <td>{productName(item.productId)}</td>
                        <td>{item.quantity}</td>
                        <td>{formatMoney(item.price, item.currency)}</td>
                        <td>
                          <Link to={`/console/licenses/${item.licenseId}`}>{license.ok ? license.value.name : (item.name ?? item.licenseId)}</Link>
                          {license.ok ? <span className="hint"> …{license.value.keyHint}</span> : null}
                        </td>
                        <td>{license.ok ? <StatusBadge status={license.value.status} /> : '—'}</td>
                        <td>{license.ok ? formatDate((license.value as License).expiresAt, 'never') : '—'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableWrap>

            <h2>Confirmation mail</h2>
            {order.mailIds.length === 0 ? (
              <Empty>No confirmation mail was sent for this order.</Empty>
            ) : mails === null ? (
              <p className="hint">
                {order.mailIds.length} {order.mailIds.length === 1 ? 'mail' : 'mails'} queued; your role cannot read the outbox.
              </p>
            ) : !mails.ok ? (
              <p className="hint">{mails.message}</p>
            ) : (
              <MailList mails={mails.value} />
            )}

            <h2>History</h2>
            {!events.ok ? <p className="hint">{events.message}</p> : events.value.length === 0 ? <Empty>No events recorded.</Empty> : <EventList events={events.value} />}
          </section>
        );
      }}
    </Show>
  );
}

function MailList({ mails }: { mails: OutboxMail[] }) {
  return (
    <ul className="plain" data-testid="order-mails">
      {mails.map((mail) => (
        <li key={mail.id}>
          <strong>{mail.subject}</strong> to {mail.to.join(', ')} — {mail.status}
          {mail.sentAt ? ` ${formatDateTime(mail.sentAt)}` : ''}
          {mail.lastError ? <span className="hint"> ({mail.lastError})</span> : null}
        </li>
      ))}
    </ul>
  );
}

function EventList({ events }: { events: AuditEvent[] }) {
  return (
    <ol className="timeline" data-testid="order-history">
      {events.map((event) => (
        <li key={event.id}>
          <time dateTime={event.at}>{formatDateTime(event.at)}</time> <span className="timeline-action">{event.action}</span>{' '}
          <span className="hint">
            by {event.actor.type}
            {event.actor.id ? ` ${event.actor.id}` : ''}
          </span>
        </li>
      ))}
    </ol>
  );
}
