/**
 * The typed API client: every call sends the session token as a bearer credential and turns an error
 * answer into an `ApiError` whose message is fit to show (the API's `error.message`, never a raw body
 * or a stack). A 401 clears the session and tells the app to go back to sign-in.
 */

const TOKEN_KEY = 'keyhaven.session';

export type Role = 'owner' | 'admin' | 'support' | 'sales' | 'read-only' | 'customer-admin' | 'customer-member';
export const STAFF_ROLES: readonly Role[] = ['owner', 'admin', 'support', 'sales', 'read-only'];
export const isStaffRole = (role: Role): boolean => STAFF_ROLES.includes(role);

export type LicenseStatus = 'pending' | 'active' | 'grace' | 'expired' | 'suspended' | 'revoked';
export const LICENSE_STATUSES: readonly LicenseStatus[] = ['pending', 'active', 'grace', 'expired', 'suspended', 'revoked'];
export type PolicyKind = 'perpetual' | 'timed' | 'subscription' | 'trial';
export const POLICY_KINDS: readonly PolicyKind[] = ['perpetual', 'timed', 'subscription', 'trial'];

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
export interface User {
  id: string;
  email: string;
  name: string | null;
  kind: 'staff' | 'customer';
  role: Role;
  customerId: string | null;
}
export interface Me {
  actor: { type: string; role: Role; label: string; customerId: string | null };
  user: User | null;
}
export interface Product {
  id: string;
  code: string;
  name: string;
  description: string | null;
  createdAt: string;
}
export interface Policy {
  id: string;
  productId: string;
  name: string;
  kind: PolicyKind;
  durationDays: number | null;
  termMonths: number | null;
  maxMachines: number | null;
  /** The longest offline license-file lifetime, in days. */
  offlineMaxDays?: number;
  createdAt: string;
}
export interface Customer {
  id: string;
  name: string;
  email: string;
  createdAt: string;
}
export interface License {
  id: string;
  name: string;
  product: string;
  productId: string;
  policyId: string;
  customerId: string | null;
  type: string;
  status: LicenseStatus;
  keyHint: string;
  startsAt: string;
  expiresAt: string | null;
  maxMachines: number | null;
  activeMachines: number;
  suspendedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}
/** How a machine holds its seat when the answer was made: lapsed machines hold none (their lease ran out). */
export type LeaseState = 'node-locked' | 'active' | 'borrowed' | 'lapsed';
export interface Machine {
  id: string;
  fingerprint: string;
  name: string | null;
  hostname: string | null;
  platform: string | null;
  ip: string | null;
  activatedAt: string;
  lastHeartbeatAt: string | null;
  /** null: node-locked. */
  leaseExpiresAt: string | null;
  /** While an offline license file for this machine is out: its expiry (the seat is held until then). */
  borrowedUntil?: string | null;
  leaseState: LeaseState;
}

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

type Query = Record<string, string | number | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  const text = params.toString();
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

export async function request<T>(method: string, path: string, options: { body?: unknown; query?: Query } = {}): Promise<T> {
  const token = getToken();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached; check your connection and try again');
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && path !== '/v1/auth/sign-in') {
      setToken(null);
      onUnauthenticated();
    }
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Every page of a list, for the small lists a screen shows whole (capped so a huge list cannot hang it). */
export async function all<T>(path: string, query: Query = {}, maxPages = 10): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const answer: Page<T> = await request<Page<T>>('GET', path, { query: { ...query, limit: 100, cursor } });
    items.push(...answer.data);
    cursor = answer.nextCursor;
    if (!cursor) break;
  }
  return items;
}

export const api = {
  signIn: (email: string, password: string) => request<{ token: string; expiresAt: string; user: User }>('POST', '/v1/auth/sign-in', { body: { email, password } }),
  signOut: () => request<void>('POST', '/v1/auth/sign-out'),
  me: () => request<Me>('GET', '/v1/auth/me'),

  listProducts: () => all<Product>('/v1/products'),
  getProduct: (id: string) => request<Product>('GET', `/v1/products/${encodeURIComponent(id)}`),
  createProduct: (body: { name: string; code?: string; description?: string | null }) => request<Product>('POST', '/v1/products', { body }),

  listPolicies: (productId?: string) => all<Policy>('/v1/policies', { productId }),
  createPolicy: (body: { productId: string; name: string; kind: PolicyKind; durationDays?: number | null; maxMachines?: number | null }) =>
    request<Policy>('POST', '/v1/policies', { body }),

  listCustomers: (q?: string) => all<Customer>('/v1/customers', { q }),
  getCustomer: (id: string) => request<Customer>('GET', `/v1/customers/${encodeURIComponent(id)}`),
  createCustomer: (body: { name: string; email: string }) => request<Customer>('POST', '/v1/customers', { body }),

  listLicenses: (query: { productId?: string; customerId?: string; status?: LicenseStatus; expiresBefore?: string; q?: string; limit?: number; cursor?: string | null }) =>
    request<Page<License>>('GET', '/v1/licenses', { query }),
  allLicenses: (query: { productId?: string; customerId?: string; status?: LicenseStatus; expiresBefore?: string } = {}) => all<License>('/v1/licenses', query),
  getLicense: (id: string) => request<License>('GET', `/v1/licenses/${encodeURIComponent(id)}`),
  /** A license by its full key; the key goes in the body (URLs are logged). 404 for a key not in the viewer's reach. */
  lookupLicense: (key: string) => request<License>('POST', '/v1/licenses/lookup', { body: { key } }),
  createLicense: (body: { policyId: string; customerId?: string; name?: string }) => request<License & { key: string }>('POST', '/v1/licenses', { body }),
  licenseAction: (id: string, action: 'suspend' | 'reinstate' | 'revoke') => request<License>('POST', `/v1/licenses/${encodeURIComponent(id)}/actions/${action}`, { body: {} }),
  listMachines: (licenseId: string) => all<Machine>('/v1/machines', { licenseId }),
  overview: () => request<Overview>('GET', '/v1/stats/overview'),

  // Customer portal (issue 6, second part).
  getLicenseDetail: (id: string) => request<LicenseDetail>('GET', `/v1/licenses/${encodeURIComponent(id)}`),
  revealKey: (id: string) => request<{ id: string; key: string }>('GET', `/v1/licenses/${encodeURIComponent(id)}/key`),
  licenseUsage: (id: string) => request<{ data: Usage[] }>('GET', `/v1/licenses/${encodeURIComponent(id)}/usage`).then((answer) => answer.data),
  deactivateMachine: (id: string) => request<void>('DELETE', `/v1/machines/${encodeURIComponent(id)}`),
  searchMachines: (q: string) => all<MachineRecord>('/v1/machines', { q }, 5),
  listReleases: (query: { productId?: string } = {}) => all<Release>('/v1/releases', { ...query, status: 'published' }),
  listArtifacts: (releaseId: string) => all<Artifact>(`/v1/releases/${encodeURIComponent(releaseId)}/artifacts`),
  downloadLink: (artifactId: string) => request<{ url: string; expiresAt: string; artifact: Artifact }>('POST', `/v1/artifacts/${encodeURIComponent(artifactId)}/download-link`),
  offlineActivation: (activationRequest: string) => requestText('POST', '/v1/machines/offline-activations', { request: activationRequest }),
  listFaq: () => all<FaqEntry>('/v1/faq'),
  // 202 with an empty body, which `request` would try to read as JSON.
  requestPasswordReset: (email: string) => requestText('POST', '/v1/auth/password-reset', { email }).then(() => undefined),
  completePasswordReset: (token: string, password: string) => request<void>('POST', '/v1/auth/password-reset/complete', { body: { token, password } }),
  /** The signed-in user's own password; the user's other sessions end, this one stays. */
  changePassword: (currentPassword: string, newPassword: string) => request<void>('POST', '/v1/auth/password', { body: { currentPassword, newPassword } }),
};

/** The dashboard figures (`getOverview`). */
export interface Overview {
  at: string;
  licenses: Record<LicenseStatus, number> & { total: number; expiringIn30Days: number };
  trials: { active: number; endingIn7Days: number };
  seats: { inUse: number; limit: number; unlimitedLicenses: number };
  byProduct: Array<{ productId: string; code: string; name: string; licenses: number }>;
}

// —— Console: license actions, history, offline files; releases and artifacts ——

export type Channel = 'stable' | 'rc' | 'beta' | 'alpha' | 'dev';
export const CHANNELS: readonly Channel[] = ['stable', 'rc', 'beta', 'alpha', 'dev'];
export type ReleaseStatus = 'draft' | 'published' | 'yanked';

/** An audit event (`listLicenseEvents`, `listEvents`). */
export interface AuditEvent {
  id: string;
  at: string;
  /** `name`: the display name the server resolved (null when unknown or not visible to the viewer). */
  actor: { type: string; id: string | null; name?: string | null };
  action: string;
  target: { type: string; id: string; name?: string | null };
  customerId: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
  ip: string | null;
}
export interface Release {
  id: string;
  productId: string;
  version: string;
  channel: Channel;
  status: ReleaseStatus;
  notes: string;
  /** Rendered and sanitized by the server: the only HTML the app injects. */
  notesHtml: string;
  docLinks: { title: string; url: string }[];
  videoUrl: string | null;
  requirements: string[];
  publishedAt: string | null;
  yankedAt: string | null;
  yankReason: string | null;
  createdAt: string;
  updatedAt: string;
}
export interface ReleaseInput {
  channel?: Channel;
  notes?: string;
  docLinks?: { title: string; url: string }[];
  videoUrl?: string | null;
  requirements?: string[];
}
export interface Artifact {
  id: string;
  releaseId: string;
  platform: string;
  arch: string;
  fileType: string;
  fileName: string;
  size: number;
  sha256: string;
  signature: string;
  keyId: string;
  status: 'available' | 'removed';
  createdAt: string;
  removedAt: string | null;
  removedReason: string | null;
}
export interface Recipient {
  email: string;
  name: string | null;
  customerId: string | null;
  optedOut: boolean;
}
export interface AnnounceOptions {
  template?: string;
  add?: { email: string; name?: string }[];
  remove?: string[];
}
export interface Announcement {
  id: string;
  releaseId: string;
  template: string;
  recipients: number;
  skippedOptedOut: number;
  createdAt: string;
}

/** A text answer (the armoured license file); errors as `request` makes them. */
async function requestText(method: string, path: string, body: unknown): Promise<string> {
  const token = getToken();
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: { accept: 'text/plain, application/json', 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached; check your connection and try again');
  }
  if (!response.ok) throw await errorOf(response);
  return response.text();
}

/**
 * Uploads a file as the raw request body with XMLHttpRequest, because fetch reports no upload progress.
 * `onProgress` gets the fraction sent (0..1). Errors and a 401 are handled as `request` handles them.
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

const licensePath = (id: string) => `/v1/licenses/${encodeURIComponent(id)}`;
const releasePath = (id: string) => `/v1/releases/${encodeURIComponent(id)}`;

/** The console's calls beyond the first screens: license actions and history, releases and artifacts. */
export const consoleApi = {
  renewLicense: (id: string) => request<License>('POST', `${licensePath(id)}/actions/renew`, { body: {} }),
  extendLicense: (id: string, days: number) => request<License>('POST', `${licensePath(id)}/actions/extend`, { body: { days } }),
  revealKey: (id: string) => request<{ id: string; key: string }>('GET', `${licensePath(id)}/key`),
  resetMachines: (id: string) => request<{ deactivated: number; borrowed: number }>('POST', `${licensePath(id)}/actions/reset-machines`, { body: {} }),
  deactivateMachine: (machineId: string) => request<void>('DELETE', `/v1/machines/${encodeURIComponent(machineId)}`),
  licenseEvents: (id: string, cursor?: string | null) => request<Page<AuditEvent>>('GET', `${licensePath(id)}/events`, { query: { limit: 50, cursor } }),
  /** The armoured license file for offline use, bound to an activated machine's fingerprint. */
  checkoutLicenseFile: (body: { key: string; fingerprint?: string; ttlDays?: number }) => requestText('POST', '/v1/licenses/checkout', body),

  listReleases: (query: { productId?: string; channel?: Channel; status?: ReleaseStatus; limit?: number; cursor?: string | null }) =>
    request<Page<Release>>('GET', '/v1/releases', { query: { limit: 50, ...query } }),
  getRelease: (id: string) => request<Release>('GET', releasePath(id)),
  createRelease: (body: ReleaseInput & { productId: string; version: string }) => request<Release>('POST', '/v1/releases', { body }),
  updateRelease: (id: string, body: ReleaseInput & { version?: string }) => request<Release>('PATCH', releasePath(id), { body }),
  publishRelease: (id: string, announce?: AnnounceOptions) =>
    request<Release & { announcement?: Announcement }>('POST', `${releasePath(id)}/actions/publish`, { body: announce ? { announce } : {} }),
  yankRelease: (id: string, reason?: string) => request<Release>('POST', `${releasePath(id)}/actions/yank`, { body: reason ? { reason } : {} }),
  unyankRelease: (id: string) => request<Release>('POST', `${releasePath(id)}/actions/unyank`, { body: {} }),
  announcementRecipients: (id: string) => request<{ releaseId: string; data: Recipient[]; total: number; optedOut: number }>('GET', `${releasePath(id)}/announcement/recipients`),
  listArtifacts: (releaseId: string) => all<Artifact>(`${releasePath(releaseId)}/artifacts`),
  uploadArtifact: (releaseId: string, query: { platform: string; arch: string; fileType: string; fileName: string }, file: Blob, onProgress: (fraction: number) => void) =>
    uploadFile<Artifact>(`${releasePath(releaseId)}/artifacts`, query, file, onProgress),
  deleteArtifact: (id: string) => request<void>('DELETE', `/v1/artifacts/${encodeURIComponent(id)}`),
  /** Drafts only (409 INVALID_TRANSITION otherwise): the release goes with its artifacts and their files. */
  deleteRelease: (id: string) => request<void>('DELETE', releasePath(id)),
  downloadLink: (artifactId: string) => request<{ url: string; expiresAt: string; artifact: Artifact }>('POST', `/v1/artifacts/${encodeURIComponent(artifactId)}/download-link`, { body: {} }),
};

// —— Customer portal ——

/** A license as `GET /v1/licenses/:id` answers it, with the parts the portal's license page shows. */
export interface LicenseDetail extends License {
  features: string[];
  meters: Array<{ feature: string; limit: number | null; period: string }>;
}
/** A metered feature's use in its current period. */
export interface Usage {
  feature: string;
  used: number;
  limit: number | null;
  remaining: number | null;
  period: string;
  periodStart: string;
}
export interface MachineRecord extends Machine {
  licenseId: string;
}
export interface FaqEntry {
  id: string;
  productId: string | null;
  question: string;
  answerHtml: string;
}
