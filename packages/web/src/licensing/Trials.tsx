import { Fragment, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, type Customer, type Page, type Policy } from '../api/api.js';
import { licensingApi, type FullLicense, type Trial, type TrialProduct } from '../api/licensing.js';
import { can, useSession } from '../session.js';
import { daysLeft, Empty, ErrorMessage, FilterSelect, formatDate, messageOf, PagedTable, Show, StatusBadge, useAction, useLoad, usePagedList } from '../ui/ui.js';
import { CopyButton } from '../ui/CopyButton.js';
import { ConvertTrialForm, TrialDayButtons } from './TrialActions.js';
import { ChoiceSelect } from '../ui/ChoiceSelect.js';

/** A trial with its license (end date, status) and its customer (name), which the trials list does not carry. */
interface TrialRow {
  trial: Trial;
  license: FullLicense | null;
  customer: Customer | null;
}

/**
 * One page of trials, each joined to its license and its customer by parallel reads (a page holds at most 25).
 * The customer is read with the page, not taken from a list loaded with the screen, so a renamed customer or one
 * a sign-up just created shows with its current name.
 */
async function trialRows(query: { productId?: string; converted?: 'true' | 'false' }, cursor: string | null): Promise<Page<TrialRow>> {
  const page = await licensingApi.listTrials({ ...query, cursor });
  const customerIds = [...new Set(page.data.flatMap((trial) => (trial.customerId ? [trial.customerId] : [])))];
  const [licenses, customers] = await Promise.all([
    Promise.all(page.data.map((trial) => licensingApi.getLicense(trial.licenseId).catch(() => null))),
    Promise.all(customerIds.map((id) => api.getCustomer(id).catch(() => null))),
  ]);
  const customerOf = (id: string | null) => customers.find((customer) => customer !== null && customer.id === id) ?? null;
  return { data: page.data.map((trial, index) => ({ trial, license: licenses[index] ?? null, customer: customerOf(trial.customerId) })), nextCursor: page.nextCursor };
}

const paidPolicies = (policies: Policy[], productId: string) => policies.filter((policy) => policy.productId === productId && policy.kind !== 'trial');

function daysLeftText(license: FullLicense | null): string {
  const days = daysLeft(license?.expiresAt ?? null);
  if (days === null) return '—';
  return days < 0 ? 'ended' : `${days} day${days === 1 ? '' : 's'}`;
}

/** The one-click trial form: product, a customer or an e-mail address, then a preset button creates it. */
function NewTrial({ products, customers, onCreated }: { products: TrialProduct[]; customers: Customer[]; onCreated: () => void }) {
  const [productId, setProductId] = useState(products.length === 1 ? products[0]!.id : '');
  const [customerId, setCustomerId] = useState('');
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [sendEmail, setSendEmail] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ key: string; license: FullLicense; days: number } | null>(null);
  const product = products.find((p) => p.id === productId);

  async function create(days: number) {
    setBusy(true);
    setError(null);
    setCreated(null);
    try {
      const who = customerId ? { customerId } : email.trim() ? { email: email.trim(), ...(name.trim() ? { name: name.trim() } : {}) } : {};
      const answer = await licensingApi.createTrial({ productId, days, sendEmail, ...who });
      setCreated({ key: answer.key, license: answer, days });
      onCreated();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="new-trial-title">
      <h2 id="new-trial-title">New trial</h2>
      {products.length === 0 ? (
        <Empty>
          Create a <Link to="/console/products">product</Link> with a trial <Link to="/console/policies">policy</Link> first.
        </Empty>
      ) : (
        <form className="inline-form" aria-label="New trial" onSubmit={(event) => event.preventDefault()}>
          <ChoiceSelect label="Product" placeholder="Choose a product" items={products} value={productId} onChange={(event) => setProductId(event.target.value)} />
          <label>
            Customer
            <select value={customerId} onChange={(event) => setCustomerId(event.target.value)}>
              <option value="">none, or by e-mail</option>
              {customers.map((customer) => (
                <option key={customer.id} value={customer.id}>
                  {customer.name}
                </option>
              ))}
            </select>
          </label>
          {customerId ? null : (
            <>
              <label>
                E-mail <span className="hint">(an organization is found or created for it)</span>
                <input type="email" value={email} maxLength={254} onChange={(event) => setEmail(event.target.value)} />
              </label>
              <label>
                Name <span className="hint">(for a new organization)</span>
                <input value={name} maxLength={200} onChange={(event) => setName(event.target.value)} />
              </label>
            </>
          )}
          <label className="filter span-all">
            <input type="checkbox" checked={sendEmail} onChange={(event) => setSendEmail(event.target.checked)} />
            Send the key by e-mail
          </label>
          {product ? (
            <div className="span-all">
              <p className="hint">One click creates the trial; the product's trial lengths (default {product.trialPreset} days):</p>
              <TrialDayButtons durations={product.trialDurations} preset={product.trialPreset} busy={busy} verb="Start" subject={`${product.name} trial`} onPick={(days) => void create(days)} />
            </div>
          ) : (
            <p className="hint span-all">Choose a product to see its trial lengths.</p>
          )}
          {error ? <ErrorMessage message={error} /> : null}
        </form>
      )}
      {created ? (
        <div className="notice" role="status">
          <p>
            A {created.days}-day trial was created: it ends {formatDate(created.license.expiresAt)}. Its key is shown only now.
          </p>
          <code className="key" data-testid="trial-key">
            {created.key}
          </code>{' '}
          <CopyButton text={created.key} label="Copy key" />{' '}
          <Link to={`/console/licenses/${created.license.id}`}>Open the trial license</Link>
        </div>
      ) : null}
    </section>
  );
}

/** Trials: the list with each trial's end and status, one-click create, extend by a preset, convert to paid. */
export function Trials() {
  const { me } = useSession();
  const [params, setParams] = useSearchParams();
  const filter = { productId: params.get('productId') ?? '', converted: params.get('converted') ?? '' };
  const choices = useLoad(async () => {
    const [products, customers, policies] = await Promise.all([licensingApi.listTrialProducts(), api.listCustomers(), api.listPolicies()]);
    return { products, customers, policies };
  }, 'choices');
  const query = { productId: filter.productId || undefined, converted: (filter.converted || undefined) as 'true' | 'false' | undefined };
  const list = usePagedList((cursor) => trialRows(query, cursor), `${filter.productId}|${filter.converted}`);
  // Rows changed on this page since it loaded (an extension or conversion answers the new license).
  const [changed, setChanged] = useState<Record<string, TrialRow>>({});
  const [converting, setConverting] = useState<string | null>(null);
  const { busy, setBusy, error, setError, notice, run } = useAction();

  function setFilter(name: 'productId' | 'converted', value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  }

  const extend = (row: TrialRow, days: number) =>
    run(async () => {
      const license = await licensingApi.extendTrial(row.trial.licenseId, days);
      setChanged((rows) => ({ ...rows, [row.trial.id]: { ...row, trial: { ...row.trial, days: row.trial.days + days }, license } }));
      return `${license.name} was extended by ${days} days: it now ends ${formatDate(license.expiresAt)}.`;
    });

  const convert = (row: TrialRow, policyId: string, keepExpiry: boolean, policies: Policy[]) =>
    run(async () => {
      const license = await licensingApi.convertTrial(row.trial.licenseId, policyId, keepExpiry);
      setChanged((rows) => ({ ...rows, [row.trial.id]: { ...row, trial: { ...row.trial, convertedAt: new Date().toISOString(), convertedPolicyId: policyId }, license } }));
      setConverting(null);
      const policy = policies.find((p) => p.id === policyId);
      return `${license.name} is now a paid license (${policy?.name ?? 'paid policy'}), with the same key; it ${license.expiresAt ? `expires ${formatDate(license.expiresAt)}` : 'does not expire'}.`;
    });

  const mayCreate = can(me, 'trials:write');
  const mayExtend = can(me, 'licenses:lifecycle');

  return (
    <section aria-labelledby="trials-title">
      <h1 id="trials-title">Trials</h1>
      <Show loaded={choices}>
        {({ products, customers, policies }) => (
          <>
            {mayCreate ? (
              <NewTrial
                products={products}
                customers={customers}
                onCreated={() => {
                  list.first.reload();
                  // A trial for a new e-mail creates its organization: offer it in the customer list too.
                  choices.reload();
                }}
              />
            ) : null}
            <fieldset className="filters">
              <legend>Filter</legend>
              <FilterSelect label="Product" value={filter.productId} onChange={(value) => setFilter('productId', value)} options={products.map((p) => ({ value: p.id, label: p.name }))} />
              <FilterSelect
                label="Converted"
                value={filter.converted}
                onChange={(value) => setFilter('converted', value)}
                options={[
                  { value: 'false', label: 'not converted' },
                  { value: 'true', label: 'converted' },
                ]}
              />
            </fieldset>
            {notice ? (
              <p className="notice" role="status">
                {notice}
              </p>
            ) : null}
            {error ? <ErrorMessage message={error} /> : null}
            <PagedTable
              list={list}
              label="Trials"
              empty="No trials match."
              columns={['License', 'Product', 'Customer', 'Started', 'Ends', 'Days left', 'Status', 'Converted', 'Actions']}
              row={(loadedRow) => {
                const row = changed[loadedRow.trial.id] ?? loadedRow;
                const { trial, license } = row;
                const product = products.find((p) => p.id === trial.productId);
                const customerName = row.customer?.name ?? trial.email ?? '—';
                const open = !trial.convertedAt && license !== null && license.status !== 'revoked';
                const paid = paidPolicies(policies, trial.productId);
                const label = license?.name ?? trial.licenseId;
                return (
                  <Fragment key={trial.id}>
                    <tr data-testid={`trial-${trial.licenseId}`}>
                      <td>
                        <Link to={`/console/licenses/${trial.licenseId}`}>{label}</Link>
                        {trial.source === 'signup' ? <span className="hint"> (sign-up)</span> : null}
                      </td>
                      <td>{product?.name ?? trial.productId}</td>
                      <td>
                        {customerName}
                        {trial.customerId && trial.email ? <span className="hint"> {trial.email}</span> : null}
                      </td>
                      <td>{formatDate(trial.createdAt)}</td>
                      <td data-testid="trial-ends">{formatDate(license?.expiresAt)}</td>
                      <td>{trial.convertedAt ? '—' : daysLeftText(license)}</td>
                      <td>{license ? <StatusBadge status={license.status} /> : '—'}</td>
                      <td data-testid="trial-converted">
                        {trial.convertedAt
                          ? `${formatDate(trial.convertedAt)} → ${policies.find((p) => p.id === trial.convertedPolicyId)?.name ?? 'paid'}`
                          : 'no'}
                      </td>
                      <td>
                        {open ? (
                          <div className="trial-row-actions">
                            {mayExtend && product ? (
                              <TrialDayButtons
                                durations={product.trialDurations}
                                preset={product.trialPreset}
                                busy={busy}
                                verb="Extend"
                                subject={label}
                                onPick={(days) => void extend(row, days)}
                              />
                            ) : null}
                            {mayCreate ? (
                              <button type="button" disabled={busy} aria-expanded={converting === trial.id} onClick={() => setConverting(converting === trial.id ? null : trial.id)}>
                                Convert…
                              </button>
                            ) : null}
                          </div>
                        ) : null}
                      </td>
                    </tr>
                    {converting === trial.id ? (
                      <tr>
                        <td colSpan={9}>
                          <ConvertTrialForm
                            policies={paid}
                            busy={busy}
                            onConvert={(policyId, keepExpiry) => void convert(row, policyId, keepExpiry, policies)}
                            onClose={() => setConverting(null)}
                          />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                );
              }}
            />
          </>
        )}
      </Show>
    </section>
  );
}
