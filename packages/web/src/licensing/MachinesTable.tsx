import { Fragment, useState } from 'react';
import type { Machine } from '../api/api.js';
import { Empty, formatDate, TableWrap } from '../ui/ui.js';

/** A machine as people know it: its friendly name, else its host name, else its fingerprint. */
export function machineName(machine: Machine): string {
  return machine.name ?? machine.hostname ?? machine.fingerprint;
}

/** Machines that hold a seat now: node-locked ones and floating ones whose lease runs (what the license's seat count counts). */
export function holdingSeats(machines: Machine[]): Machine[] {
  return machines.filter((machine) => machine.leaseState !== 'lapsed');
}

const timeFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const at = (iso: string) => timeFormat.format(new Date(iso));

/** The seat column: how the machine holds its seat, in words (a lapsed lease holds none). */
export function leaseText(machine: Machine): string {
  if (machine.leaseState === 'node-locked') return 'Node-locked';
  if (machine.leaseState === 'active') return `Lease until ${at(machine.leaseExpiresAt!)}`;
  if (machine.leaseState === 'borrowed') return `Offline file out until ${at(machine.borrowedUntil!)}`;
  return `Lapsed ${at(machine.leaseExpiresAt!)}: seat free`;
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

/**
 * The machines of a license, for the console's and the portal's license pages; actions are passed in.
 * Each row shows its lease state (lapsed rows are marked: they hold no seat) and opens a detail row with
 * everything the API knows of the machine.
 */
export function MachinesTable({ machines, detail, formatHeartbeat, onDeactivate, busy = false, emptyText = 'No machine is activated.' }: MachinesTableProps) {
  const [open, setOpen] = useState<string | null>(null);
  if (machines.length === 0) return <Empty>{emptyText}</Empty>;
  const heartbeat = formatHeartbeat ?? ((iso: string | null) => formatDate(iso, 'never'));
  const columns = onDeactivate ? 7 : 6;
  return (
    <TableWrap label="Machines">
      <table>
        <caption className="visually-hidden">Machines</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">{detail === 'fingerprint' ? 'Fingerprint' : 'Host name'}</th>
            <th scope="col">Platform</th>
            <th scope="col">Seat</th>
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
          {machines.map((machine) => {
            const expanded = open === machine.id;
            const detailId = `machine-detail-${machine.id}`;
            return (
              <Fragment key={machine.id}>
                <tr className={machine.leaseState === 'lapsed' ? 'lapsed' : undefined} data-testid="machine-row">
                  <td>
                    <button
                      type="button"
                      className="disclosure"
                      aria-expanded={expanded}
                      aria-controls={detailId}
                      aria-label={`Details of ${machineName(machine)}`}
                      onClick={() => setOpen(expanded ? null : machine.id)}
                    >
                      <span aria-hidden="true">{expanded ? '▾' : '▸'}</span>
                    </button>{' '}
                    {detail === 'fingerprint' ? (machine.name ?? machine.hostname ?? '—') : machineName(machine)}
                  </td>
                  <td>{detail === 'fingerprint' ? <code>{machine.fingerprint}</code> : (machine.hostname ?? '—')}</td>
                  <td>{machine.platform ?? '—'}</td>
                  <td data-testid="machine-lease">
                    <span className={`badge badge-lease-${machine.leaseState}`}>{leaseText(machine)}</span>
                  </td>
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
                {expanded ? (
                  <tr id={detailId} className="machine-detail">
                    <td colSpan={columns}>
                      <dl className="facts" aria-label={`Machine ${machineName(machine)}`}>
                        <dt>Name</dt>
                        <dd>{machine.name ?? '—'}</dd>
                        <dt>Host name</dt>
                        <dd>{machine.hostname ?? '—'}</dd>
                        <dt>IP address</dt>
                        <dd data-testid="machine-ip">{machine.ip ?? '—'}</dd>
                        <dt>Platform</dt>
                        <dd>{machine.platform ?? '—'}</dd>
                        <dt>Fingerprint</dt>
                        <dd>
                          <code>{machine.fingerprint}</code>
                        </dd>
                        <dt>Activated</dt>
                        <dd>{at(machine.activatedAt)}</dd>
                        <dt>Last heartbeat</dt>
                        <dd>{machine.lastHeartbeatAt ? at(machine.lastHeartbeatAt) : 'never'}</dd>
                        <dt>Lease</dt>
                        <dd>
                          {machine.leaseState === 'node-locked'
                            ? 'Node-locked: holds its seat until deactivated'
                            : machine.leaseState === 'active'
                              ? `Floating: holds a seat until ${at(machine.leaseExpiresAt!)} unless it sends a heartbeat`
                              : machine.leaseState === 'borrowed'
                                ? `Floating: the lease lapsed ${at(machine.leaseExpiresAt!)}, but an offline license file is out until ${at(machine.borrowedUntil!)}: the seat stays taken`
                                : `Floating: the lease lapsed ${at(machine.leaseExpiresAt!)}; the seat is free and the machine must activate again`}
                        </dd>
                      </dl>
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}
