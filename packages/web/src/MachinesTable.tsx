import type { Machine } from './api.js';
import { Empty, formatDate, TableWrap } from './ui.js';

/** A machine as people know it: its friendly name, else its host name, else its fingerprint. */
export function machineName(machine: Machine): string {
  return machine.name ?? machine.hostname ?? machine.fingerprint;
}

export interface MachinesTableProps {
  machines: Machine[];
  /** The identifying column after the name: staff read fingerprints, customers their host names. */
  detail: 'fingerprint' | 'hostname';
  /** Shows "Last heartbeat" with the time of day (the console) or as a date (the portal). */
  formatHeartbeat?: (iso: string | null) => string;
  /** The row action, when the viewer may deactivate: the caller confirms, calls the API and reports. */
  onDeactivate?: (machine: Machine) => void;
  /** The machine being deactivated (its button says so), or true while any change runs. */
  busy?: string | boolean;
  emptyText?: string;
}

/** The machines of a license, for the console's and the portal's license pages; actions are passed in. */
export function MachinesTable({ machines, detail, formatHeartbeat, onDeactivate, busy = false, emptyText = 'No machine is activated.' }: MachinesTableProps) {
  if (machines.length === 0) return <Empty>{emptyText}</Empty>;
  const heartbeat = formatHeartbeat ?? ((iso: string | null) => formatDate(iso, 'never'));
  return (
    <TableWrap label="Machines">
      <table>
        <caption className="visually-hidden">Machines</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">{detail === 'fingerprint' ? 'Fingerprint' : 'Host name'}</th>
            <th scope="col">Platform</th>
            <th scope="col">Activated</th>
            <th scope="col">Last heartbeat</th>
            {onDeactivate ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {machines.map((machine) => (
            <tr key={machine.id}>
              <td>{detail === 'fingerprint' ? (machine.name ?? machine.hostname ?? '—') : machineName(machine)}</td>
              <td>{detail === 'fingerprint' ? <code>{machine.fingerprint}</code> : (machine.hostname ?? '—')}</td>
              <td>{machine.platform ?? '—'}</td>
              <td>{formatDate(machine.activatedAt)}</td>
              <td>
                {heartbeat(machine.lastHeartbeatAt)}
                {machine.borrowedUntil && Date.parse(machine.borrowedUntil) > Date.now() ? (
                  <span className="hint"> · offline file out until {formatDate(machine.borrowedUntil)}: the seat stays taken</span>
                ) : null}
              </td>
              {onDeactivate ? (
                <td>
                  <button type="button" className="danger" disabled={busy !== false} aria-label={`Deactivate ${machineName(machine)}`} onClick={() => onDeactivate(machine)}>
                    {busy === machine.id ? 'Deactivating…' : 'Deactivate'}
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
