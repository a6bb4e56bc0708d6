/**
 * The typed API client over the server's OpenAPI document: `generated/openapi.ts` (written by
 * `npm run contracts` from the built server, checked by scripts/contracts.test.ts) gives the paths,
 * parameters, bodies and answers, and every wire type below is an alias of it. Every call sends the
 * session token as a bearer credential and turns an error answer into an `ApiError` whose message is fit
 * to show (the API's `error.message`, never a raw body or a stack). A 401 clears the session and tells the
 * app to go back to sign-in.
 */

import createClient from 'openapi-fetch';
import type { paths } from '../generated/openapi.js';

const TOKEN_KEY = 'keyhaven.session';

// —— The wire types, from the server's OpenAPI document (generated/openapi.ts, `npm run contracts`) ——

type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type JsonOf<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;
/** The JSON answer of an operation with status `S` (200 unless given). */
export type Answer<P extends keyof paths, M extends Method, S extends number = 200> =
  Operation<P, M> extends { responses: infer Responses } ? (S extends keyof Responses ? JsonOf<Responses[S]> : never) : never;
/** The JSON body an operation takes. */
export type RequestBody<P extends keyof paths, M extends Method> = Operation<P, M> extends { requestBody?: infer Body } ? JsonOf<NonNullable<Body>> : never;
/** The query parameters an operation takes. */
export type QueryOf<P extends keyof paths, M extends Method = 'get'> = Operation<P, M> extends { parameters: { query?: infer Query } } ? NonNullable<Query> : never;
/** One item of a list answer (`{ data: [...] }`). */
export type ItemOf<P extends keyof paths, M extends Method = 'get', S extends number = 200> = Answer<P, M, S> extends { data: (infer Item)[] } ? Item : never;

/**
 * A list of every value of a generated union, in the order given: the compiler refuses a list that
 * misses one, so a value the server adds cannot be left out of a filter or a form.
 */
export const everyOf =
  <T extends string>() =>
  <const List extends readonly T[]>(list: List & ([T] extends [List[number]] ? unknown : never)): readonly T[] =>
    list;

export type Me = Answer<'/v1/auth/me', 'get'>;
export type Role = Me['actor']['role'];
export type Permission = Me['actor']['permissions'][number];
/** Whether a role is vendor staff (the console) rather than a customer's (the portal): the server says which in `getMe`. */
export const isStaffRole = (me: Pick<Me, 'staffRoles'>, role: Role): boolean => me.staffRoles.includes(role);

export type License = ItemOf<'/v1/licenses'>;
export type LicenseStatus = License['status'];
export const LICENSE_STATUSES = everyOf<LicenseStatus>()(['pending', 'active', 'grace', 'expired', 'suspended', 'revoked']);
export type Policy = Answer<'/v1/policies/{id}', 'get'>;
export type PolicyKind = Policy['kind'];
export const POLICY_KINDS = everyOf<PolicyKind>()(['perpetual', 'timed', 'subscription', 'trial']);

/** One page of a list and the cursor of the next (null on the last). */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
export type User = NonNullable<Me['user']>;
export type Product = Answer<'/v1/products/{id}', 'get'>;
export type Customer = Answer<'/v1/customers/{id}', 'get'>;
export type Machine = ItemOf<'/v1/machines'>;
/** How a machine holds its seat when the answer was made: lapsed machines hold none (their lease ran out). */
export type LeaseState = Machine['leaseState'];

/** An error answer of the API, or a network failure, with a message meant for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

let onUnauthenticated: () => void = () => {};
/** The app registers where a 401 leads (back to sign-in). */
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

type Query = Record<string, string | number | boolean | undefined | null>;

/** The query string of `query` without its empty values (undefined, null, ''). */
function queryString(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  return params.toString();
}

function withQuery(path: string, query?: Query): string {
  const text = query ? queryString(query) : '';
  return text ? `${path}?${text}` : path;
}

export async function errorOf(response: Response): Promise<ApiError> {
  let code = 'HTTP_' + response.status;
  let message = `The server answered ${response.status} ${response.statusText}`.trim();
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // Not JSON (a proxy's error page): keep the status line.
  }
  return new ApiError(response.status, code, message);
}

/**
 * Every call's transport: adds the session token, and turns a network failure or an error answer into an
 * `ApiError` (a 401 other than a failed sign-in ends the session), so callers only ever see answers.
 */
async function send(request: Request): Promise<Response> {
  const token = getToken();
  if (token) request.headers.set('authorization', `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(request);
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached; check your connection and try again');
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && new URL(request.url).pathname !== '/v1/auth/sign-in') {
      setToken(null);
      onUnauthenticated();
    }
    throw error;
  }
  return response;
}

/**
 * The typed client over the server's operations (`paths` of generated/openapi.ts): paths, parameters,
 * bodies and answers are checked against the server's schemas. Errors are thrown by `send`, so use
 * `answer(client.GET(...))` for the body.
 */
export const client = createClient<paths>({ fetch: send, querySerializer: queryString, headers: { accept: 'application/json' } });

/** The body of a call's answer (an error answer was thrown as an `ApiError` already). */
export async function answer<Result extends { data?: unknown }>(call: Promise<Result>): Promise<Exclude<Result['data'], undefined>> {
  return (await call).data as Exclude<Result['data'], undefined>;
}

/** A text answer (the armoured license file); JSON error answers become `ApiError`s as elsewhere. */
export async function text<Result extends { data?: unknown }>(call: Promise<Result>): Promise<string> {
  return (await call).data as string;
}
/** What a text call sends instead of the JSON defaults. */
export const asText = { parseAs: 'text', headers: { accept: 'text/plain, application/json' } } as const;

/** Every page of a list, for the small lists a screen shows whole (capped so a huge list cannot hang it). */
export async function all<T>(page: (cursor: string | undefined) => Promise<{ data?: Page<T> }>, maxPages = 10): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let count = 0; count < maxPages; count++) {
    const next = await answer(page(cursor));
    items.push(...next.data);
    cursor = next.nextCursor ?? undefined;
    if (!cursor) break;
  }
  return items;
}

/** The `limit` every `all` page asks for. */
export const PAGE = 100;

const id = (value: string) => ({ path: { id: value } });

export const api = {
  signIn: (email: string, password: string) => answer(client.POST('/v1/auth/sign-in', { body: { email, password } })),
  signOut: () => answer(client.POST('/v1/auth/sign-out')),
  me: () => answer(client.GET('/v1/auth/me')),

  listProducts: () => all((cursor) => client.GET('/v1/products', { params: { query: { limit: PAGE, cursor } } })),
  getProduct: (productId: string) => answer(client.GET('/v1/products/{id}', { params: id(productId) })),
  createProduct: (body: RequestBody<'/v1/products', 'post'>) => answer(client.POST('/v1/products', { body })),

  listPolicies: (productId?: string) => all((cursor) => client.GET('/v1/policies', { params: { query: { productId, limit: PAGE, cursor } } })),
  createPolicy: (body: RequestBody<'/v1/policies', 'post'>) => answer(client.POST('/v1/policies', { body })),

  listCustomers: (q?: string) => all((cursor) => client.GET('/v1/customers', { params: { query: { q, limit: PAGE, cursor } } })),
  getCustomer: (customerId: string) => answer(client.GET('/v1/customers/{id}', { params: id(customerId) })),
  createCustomer: (body: RequestBody<'/v1/customers', 'post'>) => answer(client.POST('/v1/customers', { body })),

  listLicenses: ({ cursor, ...query }: LicenseQuery & { q?: string; limit?: number; cursor?: string | null }) =>
    answer(client.GET('/v1/licenses', { params: { query: { ...query, cursor: cursor ?? undefined } } })),
  allLicenses: (query: LicenseQuery = {}) => all((cursor) => client.GET('/v1/licenses', { params: { query: { ...query, limit: PAGE, cursor } } })),
  getLicense: (licenseId: string): Promise<License> => answer(client.GET('/v1/licenses/{id}', { params: id(licenseId) })),
  /** A license by its full key; the key goes in the body (URLs are logged). 404 for a key not in the viewer's reach. */
  lookupLicense: (key: string) => answer(client.POST('/v1/licenses/lookup', { body: { key } })),
  createLicense: (body: RequestBody<'/v1/licenses', 'post'>) => answer(client.POST('/v1/licenses', { body })),
  licenseAction: (licenseId: string, action: 'suspend' | 'reinstate' | 'revoke') =>
    answer(client.POST(`/v1/licenses/{id}/actions/${action}`, { params: id(licenseId) })),
  listMachines: (licenseId: string) => all((cursor) => client.GET('/v1/machines', { params: { query: { licenseId, limit: PAGE, cursor } } })),
  overview: () => answer(client.GET('/v1/stats/overview')),

  // Customer portal (issue 6, second part).
  getLicenseDetail: (licenseId: string) => answer(client.GET('/v1/licenses/{id}', { params: id(licenseId) })),
  revealKey: (licenseId: string) => answer(client.GET('/v1/licenses/{id}/key', { params: id(licenseId) })),
  licenseUsage: (licenseId: string) => answer(client.GET('/v1/licenses/{id}/usage', { params: id(licenseId) })).then((usage) => usage.data),
  deactivateMachine: (machineId: string) => answer(client.DELETE('/v1/machines/{id}', { params: id(machineId) })),
  searchMachines: (q: string) => all((cursor) => client.GET('/v1/machines', { params: { query: { q, limit: PAGE, cursor } } }), 5),
  listReleases: (query: { productId?: string } = {}) =>
    all((cursor) => client.GET('/v1/releases', { params: { query: { ...query, status: 'published', limit: PAGE, cursor } } })),
  listArtifacts: (releaseId: string) => all((cursor) => client.GET('/v1/releases/{id}/artifacts', { params: { ...id(releaseId), query: { limit: PAGE, cursor } } })),
  downloadLink: (artifactId: string) => answer(client.POST('/v1/artifacts/{id}/download-link', { params: id(artifactId) })),
  offlineActivation: (activationRequest: string) => text(client.POST('/v1/machines/offline-activations', { body: { request: activationRequest }, ...asText })),
  listFaq: () => all((cursor) => client.GET('/v1/faq', { params: { query: { limit: PAGE, cursor } } })),
  // 202 with an empty body.
  requestPasswordReset: (email: string) => answer(client.POST('/v1/auth/password-reset', { body: { email } })).then(() => undefined),
  completePasswordReset: (token: string, password: string) => answer(client.POST('/v1/auth/password-reset/complete', { body: { token, password } })),
  /** The signed-in user's own password; the user's other sessions end, this one stays. */
  changePassword: (currentPassword: string, newPassword: string) => answer(client.POST('/v1/auth/password', { body: { currentPassword, newPassword } })),
};

/** The filters of the license list. */
type LicenseQuery = Pick<QueryOf<'/v1/licenses'>, 'productId' | 'customerId' | 'status' | 'expiresBefore' | 'soldBy' | 'partnerId'>;

/** The dashboard figures (`getOverview`). */
export type Overview = Answer<'/v1/stats/overview', 'get'>;

// —— Console: license actions, history, offline files; releases and artifacts ——

export type Release = Answer<'/v1/releases/{id}', 'get'>;
export type Channel = Release['channel'];
export const CHANNELS = everyOf<Channel>()(['stable', 'rc', 'beta', 'alpha', 'dev']);
export type ReleaseStatus = Release['status'];
/** An audit event (`listLicenseEvents`, `listEvents`). */
export type AuditEvent = ItemOf<'/v1/events'>;
/** What the release forms change (`updateRelease` without the version). */
export type ReleaseInput = Omit<RequestBody<'/v1/releases/{id}', 'patch'>, 'version'>;
export type Artifact = ItemOf<'/v1/releases/{id}/artifacts'>;
export type Recipient = ItemOf<'/v1/releases/{id}/announcement/recipients'>;
export type AnnounceOptions = NonNullable<RequestBody<'/v1/releases/{id}/actions/publish', 'post'>['announce']>;
export type Announcement = NonNullable<Answer<'/v1/releases/{id}/actions/publish', 'post'>['announcement']>;

/**
 * Uploads a file as the raw request body with XMLHttpRequest, because fetch reports no upload progress.
 * `onProgress` gets the fraction sent (0..1). Errors and a 401 are handled as `send` handles them.
 */
export function uploadFile<T>(path: string, query: Query, file: Blob, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', withQuery(path, query));
    const token = getToken();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'The upload was interrupted; check your connection and try again'));
    xhr.onload = () => {
      let body: { error?: { code?: unknown; message?: unknown } } | undefined;
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body as T);
        return;
      }
      const code = typeof body?.error?.code === 'string' ? body.error.code : 'HTTP_' + xhr.status;
      const message = typeof body?.error?.message === 'string' ? body.error.message : `The server answered ${xhr.status} ${xhr.statusText}`.trim();
      if (xhr.status === 401) {
        setToken(null);
        onUnauthenticated();
      }
      reject(new ApiError(xhr.status, code, message));
    };
    xhr.send(file);
  });
}

/** The console's calls beyond the first screens: license actions and history, releases and artifacts. */
export const consoleApi = {
  renewLicense: (licenseId: string) => answer(client.POST('/v1/licenses/{id}/actions/renew', { params: id(licenseId) })),
  extendLicense: (licenseId: string, days: number) => answer(client.POST('/v1/licenses/{id}/actions/extend', { params: id(licenseId), body: { days } })),
  revealKey: (licenseId: string) => answer(client.GET('/v1/licenses/{id}/key', { params: id(licenseId) })),
  resetMachines: (licenseId: string) => answer(client.POST('/v1/licenses/{id}/actions/reset-machines', { params: id(licenseId) })),
  deactivateMachine: (machineId: string) => answer(client.DELETE('/v1/machines/{id}', { params: id(machineId) })),
  licenseEvents: (licenseId: string, cursor?: string | null) =>
    answer(client.GET('/v1/licenses/{id}/events', { params: { ...id(licenseId), query: { limit: 50, cursor: cursor ?? undefined } } })),
  /** The armoured license file for offline use, bound to an activated machine's fingerprint. */
  checkoutLicenseFile: (body: RequestBody<'/v1/licenses/checkout', 'post'>) => text(client.POST('/v1/licenses/checkout', { body, ...asText })),

  listReleases: ({ cursor, ...query }: { productId?: string; channel?: Channel; status?: ReleaseStatus; limit?: number; cursor?: string | null }) =>
    answer(client.GET('/v1/releases', { params: { query: { limit: 50, ...query, cursor: cursor ?? undefined } } })),
  getRelease: (releaseId: string) => answer(client.GET('/v1/releases/{id}', { params: id(releaseId) })),
  createRelease: (body: RequestBody<'/v1/releases', 'post'>) => answer(client.POST('/v1/releases', { body })),
  updateRelease: (releaseId: string, body: RequestBody<'/v1/releases/{id}', 'patch'>) => answer(client.PATCH('/v1/releases/{id}', { params: id(releaseId), body })),
  publishRelease: (releaseId: string, announce?: AnnounceOptions) =>
    answer(client.POST('/v1/releases/{id}/actions/publish', { params: id(releaseId), body: announce ? { announce } : {} })),
  yankRelease: (releaseId: string, reason?: string) => answer(client.POST('/v1/releases/{id}/actions/yank', { params: id(releaseId), body: reason ? { reason } : {} })),
  unyankRelease: (releaseId: string) => answer(client.POST('/v1/releases/{id}/actions/unyank', { params: id(releaseId) })),
  announcementRecipients: (releaseId: string) => answer(client.GET('/v1/releases/{id}/announcement/recipients', { params: id(releaseId) })),
  listArtifacts: (releaseId: string) => api.listArtifacts(releaseId),
  uploadArtifact: (releaseId: string, query: { platform: string; arch: string; fileType: string; fileName: string }, file: Blob, onProgress: (fraction: number) => void) =>
    uploadFile<Artifact>(`/v1/releases/${encodeURIComponent(releaseId)}/artifacts`, query, file, onProgress),
  deleteArtifact: (artifactId: string) => answer(client.DELETE('/v1/artifacts/{id}', { params: id(artifactId) })),
  /** Drafts only (409 INVALID_TRANSITION otherwise): the release goes with its artifacts and their files. */
  deleteRelease: (releaseId: string) => answer(client.DELETE('/v1/releases/{id}', { params: id(releaseId) })),
  downloadLink: (artifactId: string) => answer(client.POST('/v1/artifacts/{id}/download-link', { params: id(artifactId) })),
};

// —— Customer portal ——

/** A license as `GET /v1/licenses/:id` answers it, with the parts the portal's license page shows. */
export type LicenseDetail = Answer<'/v1/licenses/{id}', 'get'>;
/** A metered feature's use in its current period. */
export type Usage = ItemOf<'/v1/licenses/{id}/usage'>;
export type MachineRecord = Machine;
export type FaqEntry = ItemOf<'/v1/faq'>;
