import { type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, type License } from '../api/api.js';
import { Empty, formatDate, Show, TableWrap, useLoad } from '../ui/ui.js';
import { leaseText } from '../licensing/MachinesTable.js';
import { machineName } from './portal-ui.js';

/** Every activation of the organization, searchable by friendly name or host name (`GET /v1/machines?q=`). */
export function PortalMachines() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q')?.trim() ?? '';
  const loaded = useLoad(async () => {
    const [machines, licenses] = await Promise.all([api.searchMachines(q), api.allLicenses()]);
    return { machines, licenses };
  }, `machines:${q}`);

  function search(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const text = String(new FormData(event.currentTarget).get('q') ?? '').trim();
    setParams(text ? { q: text } : {});
  }

  return (
    <section aria-labelledby="machines-title">
      <h1 id="machines-title">Activations</h1>
      <form className="search" role="search" onSubmit={search}>
        <label>
          Search machines
          <span className="hint">Friendly name or host name</span>
          <input name="q" type="search" defaultValue={q} key={q} maxLength={200} />
        </label>
        <button type="submit" className="primary">
          Search
        </button>
        {q ? (
          <button type="button" onClick={() => setParams({})}>
            Show all
          </button>
        ) : null}
      </form>
      <Show loaded={loaded}>
        {({ machines, licenses }) => {
          const license = (id: string): License | undefined => licenses.find((l) => l.id === id);
          if (machines.length === 0) {
            return <Empty>{q ? `No machine matches “${q}”.` : 'No machine is activated on your organization’s licenses.'}</Empty>;
          }
          return (
            <TableWrap label={q ? `Machines matching ${q}` : 'All machines'} live>
              <table>
                <caption className="visually-hidden">{q ? `Machines matching ${q}` : 'All machines'}</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Host name</th>
                    <th scope="col">License</th>
                    <th scope="col">Platform</th>
                    <th scope="col">Seat</th>
                    <th scope="col">Last heartbeat</th>
                  </tr>
                </thead>
                <tbody>
                  {machines.map((machine) => {
                    const held = license(machine.licenseId);
                    return (
                      <tr key={machine.id} className={machine.leaseState === 'lapsed' ? 'lapsed' : undefined}>
                        <td>{machineName(machine)}</td>
                        <td>{machine.hostname ?? '—'}</td>
                        <td>
                          <Link to={`/portal/licenses/${machine.licenseId}`}>{held ? held.name : 'License'}</Link>
                          {held ? <span className="hint"> {held.product}</span> : null}
                        </td>
                        <td>{machine.platform ?? '—'}</td>
                        <td>
                          <span className={`badge badge-lease-${machine.leaseState}`}>{leaseText(machine)}</span>
                        </td>
                        <td>{formatDate(machine.lastHeartbeatAt, 'never')}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableWrap>
          );
        }}
      </Show>
    </section>
  );
}
