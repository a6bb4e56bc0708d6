import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { VALIDATION_CODES, validationsApi, type ValidationCode, type ValidationFilter } from '../api/validations.js';
import { FilterSelect, PagedTable, usePagedList } from '../ui/ui.js';
import { formatDateTime } from '../ui/format.js';

/** The start of a local calendar day (yyyy-mm-dd), plus `days`, as an instant; undefined for an empty field. */
function startOf(date: string, days = 0): string | undefined {
  const [y, m, d] = date.split('-').map(Number);
  if (!y || !m || !d) return undefined;
  return new Date(y, m - 1, d + days).toISOString();
}

/** A validation's code as a badge: valid answers apart from refusals. */
const VALID_CODES = new Set<string>(['VALID', 'GRACE_PERIOD', 'MAINTENANCE_EXPIRED', 'OVERDRAFT']);

/**
 * The validation log of one license or one customer (`listValidations`), newest first, with filters by code,
 * period (both days included), IP and fingerprint, and "Load more". `licenseLink` turns a license id into
 * the page to open (the customer page lists several licenses); without it the license column is left out.
 */
export function ValidationLog({ scope, licenseLink }: { scope: { licenseId: string } | { customerId: string }; licenseLink?: (licenseId: string) => string }) {
  const [code, setCode] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [typed, setTyped] = useState({ ip: '', fingerprint: '' });
  const [applied, setApplied] = useState({ ip: '', fingerprint: '' });
  const filter: ValidationFilter = {
    ...scope,
    code: (code || undefined) as ValidationCode | undefined,
    from: startOf(from),
    // The "to" day is included: the API's `to` is exclusive, so the period ends at the next midnight.
    to: startOf(to, 1),
    ip: applied.ip.trim() || undefined,
    fingerprint: applied.fingerprint.trim() || undefined,
  };
  const key = JSON.stringify(filter);
  const list = usePagedList((cursor) => validationsApi.listValidations(filter, cursor), key);

  function apply(event: FormEvent) {
    event.preventDefault();
    setApplied(typed);
  }

  return (
    <section aria-labelledby="validation-log-title">
      <h2 id="validation-log-title">Validation log</h2>
      <p className="hint">Every validation and update check the application made, newest first. It is written in batches: a validation shows within a few seconds.</p>
      <form className="filters" aria-label="Validation log filters" onSubmit={apply}>
        <FilterSelect label="Code" value={code} onChange={setCode} options={VALIDATION_CODES} />
        <label>
          From
          <input type="date" value={from} max={to || undefined} onChange={(event) => setFrom(event.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={to} min={from || undefined} onChange={(event) => setTo(event.target.value)} />
        </label>
        <label>
          IP address
          <input type="text" value={typed.ip} maxLength={100} onChange={(event) => setTyped({ ...typed, ip: event.target.value })} />
        </label>
        <label>
          Fingerprint
          <input type="text" value={typed.fingerprint} maxLength={255} onChange={(event) => setTyped({ ...typed, fingerprint: event.target.value })} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <PagedTable
        list={list}
        label="Validation log"
        testId="validation-log"
        empty="No validations match."
        columns={['Time', 'Code', licenseLink ? 'License' : null, 'Fingerprint', 'IP address', 'Version', 'User agent']}
        row={(validation) => (
          <tr key={validation.id}>
            <td className="nowrap">
              <time dateTime={validation.at}>{formatDateTime(validation.at)}</time>
            </td>
            <td>
              <span className={VALID_CODES.has(validation.code) ? 'badge badge-active' : 'badge badge-suspended'}>{validation.code}</span>
            </td>
            {licenseLink ? <td>{validation.licenseId ? <Link to={licenseLink(validation.licenseId)}>{validation.licenseId}</Link> : '—'}</td> : null}
            <td>{validation.fingerprint ?? '—'}</td>
            <td>{validation.ip ?? '—'}</td>
            <td>{validation.version ?? '—'}</td>
            <td className="hint">{validation.userAgent ?? '—'}</td>
          </tr>
        )}
      />
    </section>
  );
}
