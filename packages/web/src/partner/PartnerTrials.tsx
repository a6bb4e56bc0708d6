import { Fragment, useState } from 'react';
import { Link } from 'react-router-dom';
import { api, type Customer } from '../api/api.js';
import { licensingApi } from '../api/licensing.js';
import { partnerApi, type Contract } from '../api/partner.js';
import { ConvertTrialForm, TrialDayButtons } from '../licensing/TrialActions.js';
import { Empty, ErrorMessage, formatDate, PagedTable, Show, useLoad, usePagedList } from '../ui/ui.js';
import { partnerMessage, usePartner } from './partner-context.js';
import { ContractChoice } from './ContractChoice.js';
import { ChoiceSelect } from '../ui/ChoiceSelect.js';

/** One click: a trial of a product the partner holds trials:create on, for one of its customers, of one of the product's lengths. */
function NewTrial({ customers, onCreated }: { customers: Customer[]; onCreated: (message: string) => void }) {
  const view = usePartner();
  const products = view.productsWith('trials:create');
  const [productId, setProductId] = useState(products.length === 1 ? products[0]!.id : '');
  const [customerId, setCustomerId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const product = products.find((p) => p.id === productId);

  async function create(days: number) {
    setBusy(true);
    setError(null);
    try {
      const trial = await licensingApi.createTrial({ productId, customerId, days });
      onCreated(`A ${days}-day trial of ${product?.name ?? 'the product'} was created for ${customers.find((c) => c.id === customerId)?.name ?? 'the customer'}; its key was mailed to them. It ends ${formatDate(trial.expiresAt)}.`);
    } catch (caught) {
      setError(partnerMessage(caught));
    } finally {
      setBusy(false);
    }
  }

  if (products.length === 0) return <Empty>Your partner may not create trials of any product.</Empty>;
  if (customers.length === 0) return <Empty>Create a <Link to="/partner/customers">customer</Link> first.</Empty>;
  return (
    <form className="inline-form" aria-label="New trial" onSubmit={(event) => event.preventDefault()}>
      <ChoiceSelect label="Customer" placeholder="Choose a customer" items={customers} value={customerId} onChange={(event) => setCustomerId(event.target.value)} />
      <ChoiceSelect label="Product" placeholder="Choose a product" items={products} value={productId} onChange={(event) => setProductId(event.target.value)} />
      {product && customerId ? (
        <div className="span-all">
          <p className="hint">One click creates the trial; the product's trial lengths (default {product.trialPreset} days):</p>
          <TrialDayButtons durations={product.trialDurations} preset={product.trialPreset} busy={busy} verb="Start" subject={`${product.name} trial`} onPick={(days) => void create(days)} />
        </div>
      ) : (
        <p className="hint span-all">Choose a customer and a product to see the trial lengths.</p>
      )}
      {error ? <ErrorMessage message={error} /> : null}
    </form>
  );
}

/** Convert a trial to a paid policy of its product, optionally drawing the license from a contract. */
function ConvertForm({ productId, contracts, busy, onConvert }: { productId: string; contracts: Contract[]; busy: boolean; onConvert: (body: { policyId: string; contractId?: string; keepExpiry: boolean }) => void }) {
  const view = usePartner();
  const policies = view.policies.filter((p) => p.productId === productId && p.kind !== 'trial');
  return (
    <ConvertTrialForm
      policies={policies}
      busy={busy}
      none="The product has no paid policy to convert to."
      fields={(policyId) => <ContractChoice contracts={contracts} policy={policies.find((p) => p.id === policyId)} />}
      onConvert={(policyId, keepExpiry, form) => {
        const contractId = String(form.get('contractId') ?? '');
        onConvert({ policyId, keepExpiry, ...(contractId ? { contractId } : {}) });
      }}
    />
  );
}

/** The partner's trials: one-click create, extend by a preset, convert to paid (from a contract if it likes). */
export function PartnerTrials() {
  const view = usePartner();
  const choices = useLoad(async () => {
    const [customers, contracts] = await Promise.all([api.listCustomers(), partnerApi.listContracts()]);
    return { customers, contracts };
  }, 'choices');
  const list = usePagedList((cursor) => licensingApi.listTrials({ cursor }), 'trials');
  const [converting, setConverting] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function run(change: () => Promise<string>) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      setNotice(await change());
      list.first.reload();
      choices.reload();
    } catch (caught) {
      setError(partnerMessage(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="partner-trials-title">
      <h1 id="partner-trials-title">Trials</h1>
      <Show loaded={choices}>
        {({ customers, contracts }) => {
          const customerName = (id: string | null) => customers.find((c) => c.id === id)?.name ?? '—';
          return (
            <>
              {view.holds('trials:create') ? (
                <section className="card" aria-labelledby="new-trial-title">
                  <h2 id="new-trial-title">New trial</h2>
                  <NewTrial customers={customers} onCreated={(message) => (setNotice(message), list.first.reload())} />
                </section>
              ) : null}
              {notice ? (
                <p className="notice" role="status">
                  {notice}
                </p>
              ) : null}
              {error ? <ErrorMessage message={error} /> : null}
              <PagedTable
                list={list}
                label="Trials"
                empty="No trials yet."
                columns={['License', 'Product', 'Customer', 'Started', 'Days', 'Converted', 'Actions']}
                row={(trial) => {
                  const product = view.products.find((p) => p.id === trial.productId);
                  const rights = view.rightsOn(trial.productId);
                  const open = !trial.convertedAt;
                  const mayConvert = rights.has('trials:create') && rights.has('licenses:create');
                  return (
                    <Fragment key={trial.id}>
                      <tr data-testid={`trial-${trial.licenseId}`}>
                        <td>
                          <Link to={`/partner/licenses/${trial.licenseId}`}>Trial license</Link>
                        </td>
                        <td>{product?.name ?? trial.productId}</td>
                        <td>{customerName(trial.customerId)}</td>
                        <td>{formatDate(trial.createdAt)}</td>
                        <td>{trial.days}</td>
                        <td data-testid="trial-converted">{trial.convertedAt ? `${formatDate(trial.convertedAt)} → ${view.policies.find((p) => p.id === trial.convertedPolicyId)?.name ?? 'paid'}` : 'no'}</td>
                        <td>
                          {open ? (
                            <div className="trial-row-actions">
                              {rights.has('trials:create') && product ? (
                                <TrialDayButtons
                                  durations={product.trialDurations}
                                  preset={product.trialPreset}
                                  busy={busy}
                                  verb="Extend"
                                  subject={`the trial of ${customerName(trial.customerId)}`}
                                  onPick={(days) => void run(async () => `Extended by ${days} days: it now ends ${formatDate((await licensingApi.extendTrial(trial.licenseId, days)).expiresAt)}.`)}
                                />
                              ) : null}
                              {mayConvert ? (
                                <button type="button" disabled={busy} aria-expanded={converting === trial.id} onClick={() => setConverting(converting === trial.id ? null : trial.id)}>
                                  Convert…
                                </button>
                              ) : null}
                            </div>
                          ) : null}
                        </td>
                      </tr>
                      {open && converting === trial.id ? (
                        <tr>
                          <td colSpan={7}>
                            <ConvertForm
                              productId={trial.productId}
                              contracts={contracts}
                              busy={busy}
                              onConvert={(body) =>
                                void run(async () => {
                                  const license = await partnerApi.convertTrial(trial.licenseId, body);
                                  setConverting(null);
                                  return `${license.name} is now a paid license, with the same key${body.contractId ? ', drawn from the contract' : ''}.`;
                                })
                              }
                            />
                          </td>
                        </tr>
                      ) : null}
                    </Fragment>
                  );
                }}
              />
            </>
          );
        }}
      </Show>
    </section>
  );
}
