import type { Usage } from '../api/api.js';
import { formatDate, TableWrap } from '../ui/ui.js';

/** Metered features with their use in the current period (`listLicenseUsage`), for both faces. */
export function UsageTable({ usage }: { usage: Usage[] }) {
  return (
    <TableWrap label="Usage of metered features">
      <table>
        <caption className="visually-hidden">Usage of metered features</caption>
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col">Used</th>
            <th scope="col">Limit</th>
            <th scope="col">Remaining</th>
            <th scope="col">Period</th>
          </tr>
        </thead>
        <tbody>
          {usage.map((meter) => (
            <tr key={meter.feature}>
              <td>
                <code>{meter.feature}</code>
              </td>
              <td>{meter.used}</td>
              <td>{meter.limit ?? 'unlimited'}</td>
              <td>{meter.remaining ?? '—'}</td>
              <td>
                {meter.period}
                {meter.period !== 'never' ? <span className="hint"> since {formatDate(meter.periodStart)}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
