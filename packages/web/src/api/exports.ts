import { client, type QueryOf } from './api.js';
import { saveFile } from './ops.js';

/**
 * The console's CSV exports of the lists (licenses, machines, customers, orders): the list's current
 * filters go along, the server streams every matching row, the browser saves it under the server's
 * dated file name. The bearer token goes with the request like any other call.
 */

type LicenseExportQuery = QueryOf<'/v1/licenses/export'>;
type MachineExportQuery = QueryOf<'/v1/machines/export'>;
type CustomerExportQuery = QueryOf<'/v1/customers/export'>;
type OrderExportQuery = QueryOf<'/v1/orders/export'>;

/** The file name from `content-disposition: attachment; filename="…"`, else the fallback. */
function fileNameOf(response: Response, fallback: string): string {
  return /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? fallback;
}

async function save(call: Promise<{ data?: unknown; error?: unknown; response: Response }>, fallback: string): Promise<void> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw error ?? new Error(`Export failed (${response.status})`);
  saveFile(fileNameOf(response, fallback), data as string, 'text/csv');
}

const csv = { parseAs: 'text' as const, headers: { accept: 'text/csv, application/json' } };

/** Drops empty filter values so the URL carries only the filters in use. */
function present<T extends object>(query: T): T {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '')) as T;
}

export const exportsApi = {
  licenses: (query: LicenseExportQuery) => save(client.GET('/v1/licenses/export', { params: { query: present(query) }, ...csv }), 'licenses.csv'),
  machines: (query: MachineExportQuery) => save(client.GET('/v1/machines/export', { params: { query: present(query) }, ...csv }), 'machines.csv'),
  customers: (query: CustomerExportQuery) => save(client.GET('/v1/customers/export', { params: { query: present(query) }, ...csv }), 'customers.csv'),
  orders: (query: OrderExportQuery) => save(client.GET('/v1/orders/export', { params: { query: present(query) }, ...csv }), 'orders.csv'),
};
