import { useState, type ReactNode } from 'react';
import { ApiError, POLICY_KINDS, type PolicyKind } from '../api/api.js';
import { ALIGNMENTS, EXPIRY_ENDS, FIRST_TERMS, METER_PERIODS, RENEWERS, type Meter, type PolicyInput, type PolicyRecord } from '../api/catalog.js';
import { checked, list, optionalNumber, text } from '../ui/resource.js';

/**
 * Every field a policy has, grouped (term, seats, entitlements, subscription, price), for the create form
 * and the policy page's edit form alike; `policyInput` reads them back into the API's body. Labels avoid
 * each other's words ("Machines" is one label only), so they stay unambiguous for people and tests.
 */

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const KIND_HINTS: Record<PolicyKind, string> = {
  perpetual: 'never expires',
  timed: 'a fixed term, renewed by hand',
  subscription: 'terms that renew',
  trial: 'a short evaluation',
};
/** What the server uses when a non-subscription policy is written: subscription fields must keep these. */
const NOT_A_SUBSCRIPTION = { autoRenew: false, renewedBy: 'keyhaven', cancellationNoticeDays: 0, alignment: 'purchase', fiscalYearStartMonth: null, firstTerm: 'shorten' } as const;

function meterLine(meter: Meter): string {
  return `${meter.feature} ${meter.limit ?? 'unlimited'} ${meter.period}`;
}

function formError(message: string): ApiError {
  return new ApiError(0, 'FORM', message);
}

/** "feature limit period" per line: `exports 100 monthly`, `api-calls unlimited never`. */
function parseMeters(value: string): Meter[] {
  return value
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [feature = '', limit = 'unlimited', period = 'never', ...rest] = line.split(/\s+/);
      const count = limit === 'unlimited' ? null : Number(limit);
      if (rest.length > 0 || (count !== null && !Number.isInteger(count)) || !(METER_PERIODS as readonly string[]).includes(period)) {
        throw formError(`Meters: "${line}" is not "feature limit period" (limit a whole number or unlimited; period never, monthly or yearly)`);
      }
      return { feature, limit: count, period: period as Meter['period'] };
    });
}

/**
 * The API body from the form. `creating`: fields left empty are left out, so the server's defaults apply
 * (a term of 365 days for timed, 12 months for subscriptions); when editing they are sent, as cleared.
 */
export function policyInput(form: FormData, creating: boolean): PolicyInput & { name: string; kind: PolicyKind } {
  const kind = text(form, 'kind') as PolicyKind;
  const durationDays = optionalNumber(form, 'durationDays');
  const termMonths = optionalNumber(form, 'termMonths');
  const term =
    kind === 'perpetual' ? { durationDays: null, termMonths: null } : creating && durationDays === null && termMonths === null ? {} : { durationDays, termMonths };
  const floating = text(form, 'seatModel') === 'floating';
  const heartbeatSeconds = optionalNumber(form, 'heartbeatSeconds');
  const overdraftMode = text(form, 'overdraftMode');
  const overdraftAmount = optionalNumber(form, 'overdraftAmount');
  if (overdraftMode !== 'none' && overdraftAmount === null) throw formError('Overdraft: give the number of extra seats or the factor');
  const offlineMaxDays = optionalNumber(form, 'offlineMaxDays');
  const activations = optionalNumber(form, 'activationLimit');
  const deactivations = optionalNumber(form, 'deactivationLimit');
  const periodDays = optionalNumber(form, 'limitPeriodDays');
  const price = optionalNumber(form, 'price');
  const currency = text(form, 'currency').toUpperCase();
  const subscription =
    kind === 'subscription'
      ? {
          autoRenew: checked(form, 'autoRenew'),
          renewedBy: text(form, 'renewedBy') as PolicyRecord['renewedBy'],
          cancellationNoticeDays: optionalNumber(form, 'cancellationNoticeDays') ?? 0,
          alignment: text(form, 'alignment') as PolicyRecord['alignment'],
          fiscalYearStartMonth: text(form, 'alignment') === 'fiscal-year' ? optionalNumber(form, 'fiscalYearStartMonth') : null,
          firstTerm: text(form, 'firstTerm') as PolicyRecord['firstTerm'],
        }
      : NOT_A_SUBSCRIPTION;
  return {
    name: text(form, 'name'),
    kind,
    ...term,
    graceDays: optionalNumber(form, 'graceDays') ?? 0,
    expiryEnds: text(form, 'expiryEnds') as PolicyRecord['expiryEnds'],
    maxMachines: optionalNumber(form, 'maxMachines'),
    maxUsers: optionalNumber(form, 'maxUsers'),
    floating,
    ...(creating && heartbeatSeconds === null ? {} : { heartbeatSeconds }),
    overdraft: overdraftMode === 'seats' ? { seats: overdraftAmount! } : overdraftMode === 'factor' ? { factor: overdraftAmount! } : null,
    activationLimits: activations === null && deactivations === null ? null : { activations, deactivations, periodDays: periodDays ?? 30 },
    ...(creating && offlineMaxDays === null ? {} : { offlineMaxDays: offlineMaxDays ?? 30 }),
    features: list(form, 'features'),
    meters: parseMeters(text(form, 'meters')),
    countries: list(form, 'countries'),
    enforceDomains: checked(form, 'enforceDomains'),
    ...subscription,
    price: price === null ? null : Math.round(price * 100),
    currency: currency || null,
  };
}

function Fold({ folded, children }: { folded: boolean; children: ReactNode }) {
  return folded ? (
    <details className="more">
      <summary>More settings: features, meters, countries, price</summary>
      {children}
    </details>
  ) : (
    <>{children}</>
  );
}

function Group({ legend, children }: { legend: string; children: ReactNode }) {
  return (
    <fieldset className="group">
      <legend>{legend}</legend>
      <div className="row">{children}</div>
    </fieldset>
  );
}

/**
 * The fields; `policy` fills them for editing, `lead` (the product choice when creating) goes first.
 * `folded` puts the groups most policies leave at their defaults under "More settings".
 */
export function PolicyFields({ policy, lead, folded = false }: { policy?: PolicyRecord; lead?: ReactNode; folded?: boolean }) {
  const [kind, setKind] = useState<PolicyKind>(policy?.kind ?? 'timed');
  const [alignment, setAlignment] = useState<string>(policy?.alignment ?? 'purchase');
  const [overdraftMode, setOverdraftMode] = useState(policy?.overdraft ? ('seats' in policy.overdraft ? 'seats' : 'factor') : 'none');
  // The term fields start from the policy's own term, or from the server's default for the kind chosen.
  const sameKind = policy !== undefined && policy.kind === kind;
  const days = sameKind ? policy.durationDays : kind === 'timed' ? 365 : kind === 'trial' ? 30 : null;
  const months = sameKind ? policy.termMonths : kind === 'subscription' ? 12 : null;
  const overdraft = policy?.overdraft ? ('seats' in policy.overdraft ? policy.overdraft.seats : policy.overdraft.factor) : undefined;

  return (
    <>
      <div className="row">
        {lead}
        <label>
          Name
          <input name="name" required maxLength={200} defaultValue={policy?.name} />
        </label>
        <label>
          Kind
          <select name="kind" value={kind} onChange={(event) => setKind(event.target.value as PolicyKind)}>
            {POLICY_KINDS.map((k) => (
              <option key={k} value={k}>
                {k} ({KIND_HINTS[k]})
              </option>
            ))}
          </select>
        </label>
      </div>
      <Group legend="Term">
        {kind === 'perpetual' ? (
          <p className="hint span-all">A perpetual license does not expire.</p>
        ) : (
          <>
            <label key={`days-${kind}`}>
              Duration in days <span className="hint">(or months, not both)</span>
              <input name="durationDays" type="number" min={1} max={36500} defaultValue={days ?? ''} />
            </label>
            <label key={`months-${kind}`}>
              Term in months <span className="hint">(12: a year)</span>
              <input name="termMonths" type="number" min={1} max={1200} defaultValue={months ?? ''} />
            </label>
          </>
        )}
        <label>
          Grace days <span className="hint">(still valid after expiry)</span>
          <input name="graceDays" type="number" min={0} max={3650} defaultValue={policy?.graceDays ?? 0} />
        </label>
        <label>
          Expiry ends
          <select name="expiryEnds" defaultValue={policy?.expiryEnds ?? 'access'}>
            {EXPIRY_ENDS.map((value) => (
              <option key={value} value={value}>
                {value === 'access' ? 'access (stops validating)' : 'updates (keeps working, no newer releases)'}
              </option>
            ))}
          </select>
        </label>
      </Group>
      <Group legend="Seats">
        <label>
          Machines <span className="hint">(empty: unlimited)</span>
          <input name="maxMachines" type="number" min={0} max={1000000} defaultValue={policy?.maxMachines ?? ''} />
        </label>
        <label>
          Users per license <span className="hint">(named users; empty: no limit)</span>
          <input name="maxUsers" type="number" min={0} max={1000000} defaultValue={policy?.maxUsers ?? ''} />
        </label>
        <label>
          Seat model
          <select name="seatModel" defaultValue={policy?.floating ? 'floating' : 'node-locked'}>
            <option value="node-locked">node-locked (a seat per activated device)</option>
            <option value="floating">floating (seats free up when heartbeats stop)</option>
          </select>
        </label>
        <label>
          Heartbeat in seconds <span className="hint">(floating needs one; default 600)</span>
          <input name="heartbeatSeconds" type="number" min={10} max={2592000} defaultValue={policy?.heartbeatSeconds ?? ''} />
        </label>
        <label>
          Overdraft
          <select name="overdraftMode" value={overdraftMode} onChange={(event) => setOverdraftMode(event.target.value)}>
            <option value="none">none (the limit is hard)</option>
            <option value="seats">extra seats</option>
            <option value="factor">factor of the limit</option>
          </select>
        </label>
        {overdraftMode !== 'none' ? (
          <label>
            Overdraft allowance <span className="hint">({overdraftMode === 'seats' ? 'seats' : 'e.g. 1.2'})</span>
            <input
              name="overdraftAmount"
              type="number"
              required
              min={1}
              max={overdraftMode === 'seats' ? 1000000 : 10}
              step={overdraftMode === 'seats' ? 1 : 0.1}
              defaultValue={overdraft ?? ''}
            />
          </label>
        ) : null}
        <label>
          Activations per window <span className="hint">(empty: unlimited)</span>
          <input name="activationLimit" type="number" min={0} max={1000000} defaultValue={policy?.activationLimits?.activations ?? ''} />
        </label>
        <label>
          Deactivations per window <span className="hint">(empty: unlimited)</span>
          <input name="deactivationLimit" type="number" min={0} max={1000000} defaultValue={policy?.activationLimits?.deactivations ?? ''} />
        </label>
        <label>
          Window in days <span className="hint">(default 30)</span>
          <input name="limitPeriodDays" type="number" min={1} max={3650} defaultValue={policy?.activationLimits?.periodDays ?? ''} />
        </label>
        <label>
          Offline file lifetime in days <span className="hint">(a file holds its machine's seat that long; default 30)</span>
          <input name="offlineMaxDays" type="number" min={1} max={365} step={1} defaultValue={policy?.offlineMaxDays ?? ''} />
        </label>
      </Group>
      {kind === 'subscription' ? (
        <Group legend="Subscription terms">
          <label className="check">
            <input name="autoRenew" type="checkbox" defaultChecked={policy?.kind === 'subscription' ? policy.autoRenew : true} />
            Renews automatically unless cancelled
          </label>
          <label>
            Renewed by
            <select name="renewedBy" defaultValue={policy?.renewedBy ?? 'keyhaven'}>
              {RENEWERS.map((value) => (
                <option key={value} value={value}>
                  {value === 'keyhaven' ? 'Keyhaven (at term end)' : 'billing system (calls renewSubscription)'}
                </option>
              ))}
            </select>
          </label>
          <label>
            Cancellation period in days <span className="hint">(before term end)</span>
            <input name="cancellationNoticeDays" type="number" min={0} max={3650} defaultValue={policy?.cancellationNoticeDays ?? 0} />
          </label>
          <label>
            Terms end on
            <select name="alignment" value={alignment} onChange={(event) => setAlignment(event.target.value)}>
              {ALIGNMENTS.map((value) => (
                <option key={value} value={value}>
                  {{ purchase: 'the purchase anniversary', activation: 'the first-activation anniversary', 'calendar-year': '1 January (calendar year)', 'fiscal-year': 'the fiscal year start' }[value]}
                </option>
              ))}
            </select>
          </label>
          {alignment === 'fiscal-year' ? (
            <label>
              Fiscal year starts in
              <select name="fiscalYearStartMonth" defaultValue={policy?.fiscalYearStartMonth ?? 4}>
                {MONTHS.map((month, index) => (
                  <option key={month} value={index + 1}>
                    {month}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <label>
            A short first term
            <select name="firstTerm" defaultValue={policy?.firstTerm ?? 'shorten'}>
              {FIRST_TERMS.map((value) => (
                <option key={value} value={value}>
                  {value === 'shorten' ? 'full price' : 'prorated price'}
                </option>
              ))}
            </select>
          </label>
        </Group>
      ) : null}
      <Fold folded={folded}>
      <Group legend="Entitlements">
        <label className="wide">
          Features <span className="hint">(comma-separated, e.g. export, pro)</span>
          <input name="features" defaultValue={policy?.features.join(', ')} />
        </label>
        <label className="wide">
          Meters <span className="hint">(one per line: feature, credits or unlimited, never/monthly/yearly — e.g. exports 100 monthly)</span>
          <textarea name="meters" className="short" defaultValue={policy?.meters.map(meterLine).join('\n')} />
        </label>
        <label>
          Countries <span className="hint">(ISO codes, e.g. DE, AT; empty: all)</span>
          <input name="countries" defaultValue={policy?.countries.join(', ')} />
        </label>
        <label className="check">
          <input name="enforceDomains" type="checkbox" defaultChecked={policy?.enforceDomains ?? false} />
          Restrict to the license's domains
        </label>
      </Group>
      <Group legend="Price">
        <label>
          Price <span className="hint">(per term, e.g. 99.00; empty: none)</span>
          <input name="price" type="number" min={0} step={0.01} defaultValue={policy?.price != null ? (policy.price / 100).toFixed(2) : ''} />
        </label>
        <label>
          Currency <span className="hint">(ISO code, e.g. EUR)</span>
          <input name="currency" maxLength={3} pattern="[A-Za-z]{3}" defaultValue={policy?.currency ?? ''} />
        </label>
      </Group>
      </Fold>
    </>
  );
}
