import { useState } from 'react';
import { api, type Policy, type Product } from '../api/api.js';
import { CONTRACT_UNITS, partnersApi, type Contract, type ContractHolder, type ProductGroup } from '../api/partners.js';
import { can, useSession } from '../session.js';
import { Empty, ErrorMessage, formatDate, Show, TableWrap, useAction, useLoad } from '../ui/ui.js';
import { ActionForm, checked, text } from '../ui/resource.js';
import { QuotaBar } from '../ui/QuotaBar.js';

/**
 * Contracts (license packs, volume contracts) of one holder, a partner or a customer organization: each with
 * its quota bar, and for roles with contracts:write the form that creates one, raising the quantity, and
 * cancelling. Written once for both holders' pages.
 */

interface Catalog {
  products: Product[];
  policies: Policy[];
  groups: ProductGroup[];
}

/** What a contract covers, by name: a policy (with its product) or a product group. */
function coverage(contract: Contract, catalog: Catalog): string {
  if (contract.policyId) {
    const policy = catalog.policies.find((p) => p.id === contract.policyId);
    const product = policy && catalog.products.find((p) => p.id === policy.productId);
    return policy ? `${product?.name ?? policy.productId} — ${policy.name}` : contract.policyId;
  }
  const group = catalog.groups.find((g) => g.id === contract.productGroupId);
  return `Group ${group?.name ?? contract.productGroupId ?? '—'}`;
}

/** The last moment of a local calendar day (yyyy-mm-dd) as an instant: a contract "until" a day includes it. */
function endOfDay(day: string): string | null {
  const [y, m, d] = day.split('-').map(Number);
  return y && m && d ? new Date(y, m - 1, d, 23, 59, 59, 999).toISOString() : null;
}

/** The create form: what it covers (a policy or a product group), the unit, the quantity or unlimited, the end date. */
export function ContractForm({ holder, catalog, onCreated }: { holder: ContractHolder; catalog: Catalog; onCreated: () => void }) {
  const [unlimited, setUnlimited] = useState(false);

  async function create(form: FormData) {
    const [kind, coveredId] = text(form, 'covers').split(':');
    const ends = text(form, 'endsAt');
    const contract = await partnersApi.createContract({
      ...holder,
      ...(kind === 'group' ? { productGroupId: coveredId } : { policyId: coveredId }),
      unit: text(form, 'unit') as Contract['unit'],
      quantity: checked(form, 'unlimited') ? null : Number(text(form, 'quantity')),
      endsAt: ends ? endOfDay(ends) : null,
    });
    setUnlimited(false);
    onCreated();
    return `Contract for ${coverage(contract, catalog)} created.`;
  }

  return (
    <ActionForm title="New contract" submitLabel="Create contract" onSubmit={create} reset>
      <label className="policy-choice">
        Covers
        <select name="covers" required defaultValue="">
          <option value="" disabled>
            Choose a policy or a product group
          </option>
          {catalog.groups.length > 0 ? (
            <optgroup label="Product groups">
              {catalog.groups.map((group) => (
                <option key={group.id} value={`group:${group.id}`}>
                  Group {group.name}
                </option>
              ))}
            </optgroup>
          ) : null}
          {catalog.products.map((product) => (
            <optgroup key={product.id} label={product.name}>
              {catalog.policies
                .filter((policy) => policy.productId === product.id)
                .map((policy) => (
                  <option key={policy.id} value={`policy:${policy.id}`}>
                    {product.name} — {policy.name}
                  </option>
                ))}
            </optgroup>
          ))}
        </select>
      </label>
      <label>
        Unit
        <select name="unit" defaultValue="licenses">
          {CONTRACT_UNITS.map((unit) => (
            <option key={unit} value={unit}>
              {unit === 'licenses' ? 'licenses (each license draws 1)' : 'seats (each license draws its machines)'}
            </option>
          ))}
        </select>
      </label>
      <label>
        Quantity
        <input name="quantity" type="number" min={1} step={1} required={!unlimited} disabled={unlimited} />
      </label>
      <label className="check">
        <input name="unlimited" type="checkbox" checked={unlimited} onChange={(event) => setUnlimited(event.target.checked)} />
        Unlimited
      </label>
      <label>
        Ends <span className="hint">(optional; the day included)</span>
        <input name="endsAt" type="date" />
      </label>
    </ActionForm>
  );
}

/** Raise the quantity (or make it unlimited), and cancel with a second click to confirm. */
function ContractActions({ contract, label, busy, run }: { contract: Contract; label: string; busy: boolean; run: (change: () => Promise<string | null>) => Promise<void> }) {
  const [quantity, setQuantity] = useState(String(contract.quantity ?? ''));
  const [confirming, setConfirming] = useState(false);
  if (contract.status === 'cancelled') return null;
  return (
    <div className="trial-row-actions">
      <form
        className="actions"
        aria-label={`Change quantity of ${label}`}
        onSubmit={(event) => {
          event.preventDefault();
          void run(async () => {
            const updated = await partnersApi.updateContract(contract.id, { quantity: quantity === '' ? null : Number(quantity) });
            return `The contract for ${label} allows ${updated.quantity ?? 'unlimited'} ${updated.unit} now.`;
          });
        }}
      >
        <label>
          <span className="visually-hidden">New quantity of {label} (empty: unlimited)</span>
          <input type="number" min={contract.used} step={1} value={quantity} onChange={(event) => setQuantity(event.target.value)} className="narrow" />
        </label>
        <button type="submit" disabled={busy}>
          Set quantity<span className="visually-hidden"> of {label}</span>
        </button>
      </form>
      {confirming ? (
        <span className="actions">
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => void run(async () => (await partnersApi.cancelContract(contract.id), `The contract for ${label} is cancelled: no more licenses are drawn from it.`))}
          >
            Confirm cancel<span className="visually-hidden"> of {label}</span>
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </span>
      ) : (
        <button type="button" className="danger" disabled={busy} onClick={() => setConfirming(true)}>
          Cancel contract<span className="visually-hidden"> for {label}</span>
        </button>
      )}
    </div>
  );
}

/** A holder's contracts with their quota bars, and what staff with contracts:write may do with them. */
export function ContractsSection({ holder, holderName }: { holder: ContractHolder; holderName: string }) {
  const { me } = useSession();
  const mayWrite = can(me, 'contracts:write');
  const key = 'partnerId' in holder ? `partner:${holder.partnerId}` : `customer:${holder.customerId}`;
  const contracts = useLoad(() => partnersApi.listContracts(holder), key);
  const catalog = useLoad(async () => {
    const [products, policies, groups] = await Promise.all([api.listProducts(), api.listPolicies(), partnersApi.listProductGroups()]);
    return { products, policies, groups };
  }, 'catalog');
  const { busy, error, notice, run } = useAction(() => contracts.reload());

  return (
    <section aria-labelledby="contracts-title">
      <h2 id="contracts-title">Contracts</h2>
      <p className="hint">License packs {holderName} holds: licenses drawn from one count against its quantity until it ends.</p>
      <Show loaded={catalog}>
        {(names) => (
          <>
            <Show loaded={contracts}>
              {(rows) =>
                rows.length === 0 ? (
                  <Empty>No contracts.</Empty>
                ) : (
                  <TableWrap label={`Contracts of ${holderName}`}>
                    <table data-testid="contracts">
                      <caption className="visually-hidden">Contracts of {holderName}</caption>
                      <thead>
                        <tr>
                          <th scope="col">Covers</th>
                          <th scope="col">Quota</th>
                          <th scope="col">Ends</th>
                          <th scope="col">Status</th>
                          {mayWrite ? (
                            <th scope="col">
                              <span className="visually-hidden">Actions</span>
                            </th>
                          ) : null}
                        </tr>
                      </thead>
                      <tbody>
                        {rows.map((contract) => {
                          const label = coverage(contract, names);
                          return (
                            <tr key={contract.id} data-testid={`contract-${contract.id}`}>
                              <td>{label}</td>
                              <td>
                                <QuotaBar quota={contract} label={`Quota used of ${label}`} compact />
                              </td>
                              <td>{formatDate(contract.endsAt, 'no end')}</td>
                              <td>
                                <span className={`badge badge-contract-${contract.status}`}>{contract.status}</span>
                              </td>
                              {mayWrite ? (
                                <td>
                                  <ContractActions contract={contract} label={label} busy={busy} run={run} />
                                </td>
                              ) : null}
                            </tr>
                          );
                        })}
                      </tbody>
                    </table>
                  </TableWrap>
                )
              }
            </Show>
            {notice ? (
              <p className="notice" role="status">
                {notice}
              </p>
            ) : null}
            {error ? <ErrorMessage message={error} /> : null}
            {mayWrite ? <ContractForm holder={holder} catalog={names} onCreated={contracts.reload} /> : null}
          </>
        )}
      </Show>
    </section>
  );
}
