import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createHmac } from 'node:crypto';
import { ADMIN_TOKEN, client, factories, forEachDialect, TEST_STRIPE_WEBHOOK_SECRET, useTestApp, type Answer, type Client, type TestApp } from '../testing/harness.js';
import { listOperations, type Operation } from '../testing/openapi.js';
import { ACTIVATION_REQUEST_LABEL, armor } from '../modules/offline/license-file.js';
import { generateLicenseKey } from '../modules/licenses/license-key.js';
import { isCustomerRole, isPartnerRole, isStaffRole, PERMISSIONS, ROLE_PERMISSIONS, ROLES, type Permission, type Role } from './access.js';

/**
 * Every credential × every operation of the OpenAPI document: a request that would be valid is allowed
 * (2xx) exactly when the role's permissions hold the operation's permission, else 403 FORBIDDEN; without
 * a credential every non-public operation is 401. Then organization isolation: a customer's users and
 * tokens see their own organization only.
 */

/**
 * Who may call each operation: its `config.access`, restated. The first test fails when an operation
 * exists without an entry here (or the other way round), so a new route cannot skip the matrix.
 */
const ACCESS: Record<string, Permission | 'public' | 'authenticated'> = {
  getHealth: 'public',
  getPublicKey: 'public',
  validateLicense: 'public',
  signIn: 'public',
  signOut: 'authenticated',
  getMe: 'authenticated',
  changePassword: 'authenticated',
  createProduct: 'products:write',
  listProducts: 'products:read',
  getProduct: 'products:read',
  updateProduct: 'products:write',
  deleteProduct: 'products:write',
  createPolicy: 'policies:write',
  listPolicies: 'policies:read',
  getPolicy: 'policies:read',
  updatePolicy: 'policies:write',
  deletePolicy: 'policies:write',
  createCustomer: 'customers:write',
  listCustomers: 'customers:read',
  exportCustomers: 'customers:read',
  getCustomer: 'customers:read',
  updateCustomer: 'customers:write',
  deleteCustomer: 'customers:write',
  createUser: 'users:write',
  listUsers: 'users:read',
  getUser: 'users:read',
  updateUser: 'users:write',
  createToken: 'tokens:write',
  listTokens: 'tokens:read',
  revokeToken: 'tokens:write',
  createLicense: 'licenses:create',
  listLicenses: 'licenses:read',
  exportLicenses: 'licenses:read',
  lookupLicense: 'licenses:read',
  sendLicenseKey: 'licenses:lifecycle',
  getLicense: 'licenses:read',
  updateLicense: 'licenses:write',
  revealLicenseKey: 'licenses:reveal',
  listLicenseEvents: 'licenses:read',
  suspendLicense: 'licenses:lifecycle',
  reinstateLicense: 'licenses:lifecycle',
  revokeLicense: 'licenses:revoke',
  renewLicense: 'licenses:lifecycle',
  extendLicense: 'licenses:lifecycle',
  activateMachine: 'public',
  deactivateMachine: 'public',
  heartbeatMachine: 'public',
  listMachines: 'machines:read',
  exportMachines: 'machines:read',
  deleteMachine: 'machines:write',
  resetLicenseMachines: 'licenses:lifecycle',
  activateLicenseMachine: 'machines:activate',
  listLicenseUsers: 'machines:read',
  addLicenseUser: 'machines:write',
  removeLicenseUser: 'machines:write',
  checkoutLicenseFile: 'public',
  checkinLicenseFile: 'public',
  createOfflineActivation: 'machines:write',
  recordUsage: 'public',
  listLicenseUsage: 'licenses:read',
  createRelease: 'releases:write',
  listReleases: 'releases:read',
  getRelease: 'releases:read',
  updateRelease: 'releases:write',
  publishRelease: 'releases:write',
  yankRelease: 'releases:write',
  unyankRelease: 'releases:write',
  listAnnouncementRecipients: 'releases:write',
  announceRelease: 'releases:write',
  getOverview: 'licenses:read',
  listFaqEntries: 'authenticated',
  createFaqEntry: 'settings:write',
  updateFaqEntry: 'settings:write',
  deleteFaqEntry: 'settings:write',
  getSettings: 'settings:read',
  updateSettings: 'settings:write',
  checkForUpdate: 'public',
  uploadArtifact: 'releases:write',
  listArtifacts: 'releases:read',
  deleteArtifact: 'releases:write',
  deleteRelease: 'releases:write',
  listArtifactDownloads: 'releases:write',
  createDownloadLink: 'releases:read',
  createDownloadLinkForKey: 'public',
  downloadArtifact: 'public',
  getReleaseRetention: 'releases:read',
  setReleaseRetention: 'releases:write',
  applyReleaseRetention: 'releases:write',
  listEvents: 'events:read',
  listValidations: 'events:read',
  listJobs: 'jobs:read',
  getJob: 'jobs:read',
  retryJob: 'jobs:write',
  listJobSchedules: 'jobs:read',
  listMailTemplates: 'mail:read',
  getMailTemplate: 'mail:read',
  updateMailTemplate: 'mail:write',
  resetMailTemplate: 'mail:write',
  previewMailTemplate: 'mail:write',
  listOutbox: 'mail:read',
  getOutboxMail: 'mail:read',
  retryOutboxMail: 'mail:write',
  sendHeldMail: 'mail:write',
  getMailPreferences: 'authenticated',
  updateMailPreferences: 'authenticated',
  getAddressMailPreferences: 'mail:read',
  updateAddressMailPreferences: 'mail:write',
  unsubscribeMail: 'public',
  unsubscribeMailOneClick: 'public',
  requestPasswordReset: 'public',
  completePasswordReset: 'public',
  sendPasswordLink: 'users:write',
  listWebhookEventTypes: 'webhooks:read',
  createWebhookEndpoint: 'webhooks:write',
  listWebhookEndpoints: 'webhooks:read',
  getWebhookEndpoint: 'webhooks:read',
  updateWebhookEndpoint: 'webhooks:write',
  deleteWebhookEndpoint: 'webhooks:write',
  rotateWebhookSecret: 'webhooks:write',
  sendTestWebhook: 'webhooks:write',
  listWebhookDeliveries: 'webhooks:read',
  getWebhookDelivery: 'webhooks:read',
  redeliverWebhook: 'webhooks:write',
  createContract: 'contracts:write',
  listContracts: 'contracts:read',
  getContract: 'contracts:read',
  listContractPolicies: 'contracts:read',
  updateContract: 'contracts:write',
  cancelContract: 'contracts:write',
  createOrder: 'orders:write',
  listOrders: 'orders:read',
  exportOrders: 'orders:read',
  getOrder: 'orders:read',
  receiveStripeEvent: 'public',
  cancelSubscription: 'subscriptions:cancel',
  resumeSubscription: 'subscriptions:cancel',
  renewSubscription: 'licenses:lifecycle',
  listRenewals: 'licenses:read',
  exportRenewals: 'licenses:read',
  addLicenseFeatures: 'licenses:write',
  removeLicenseFeatures: 'licenses:write',
  addLicenseSeats: 'licenses:write',
  changeLicensePolicy: 'licenses:write',
  listNotices: 'public',
  listLicenseReminders: 'licenses:read',
  signUpForTrial: 'public',
  createTrial: 'trials:write',
  extendTrial: 'licenses:lifecycle',
  convertTrial: 'trials:write',
  listTrials: 'licenses:read',
  createCustomerGroup: 'customer-groups:write',
  listCustomerGroups: 'customers:read',
  getCustomerGroup: 'customers:read',
  updateCustomerGroup: 'customer-groups:write',
  deleteCustomerGroup: 'customer-groups:write',
  addCustomerGroupMember: 'customer-groups:write',
  removeCustomerGroupMember: 'customer-groups:write',
  allocateLicense: 'licenses:allocate',
  createProductGroup: 'products:write',
  listProductGroups: 'products:read',
  getProductGroup: 'products:read',
  updateProductGroup: 'products:write',
  deleteProductGroup: 'products:write',
  createPartner: 'partners:write',
  listPartners: 'partners:read',
  getPartner: 'partners:read',
  updatePartner: 'partners:write',
  getPartnerActiveSubscriptions: 'reports:read',
  exportPartnerActiveSubscriptions: 'reports:read',
  getPartnerActivity: 'reports:read',
  getVersionsReport: 'reports:read',
  exportPartnerActivity: 'reports:read',
};

/**
 * Operations declared `staffOnly`: a customer or partner role is refused even when it holds the permission
 * (a partner holds licenses:lifecycle for its rights, but no right covers mailing keys or resetting machines).
 */
const STAFF_ONLY = new Set(['getReleaseRetention', 'sendLicenseKey', 'resetLicenseMachines', 'getVersionsReport']);

/**
 * Partner roles hold these routes' permissions but what a partner may do there is still to be decided:
 * the matrix proves only that a partner gets no 5xx and no other organization's data. (None left.)
 */
const PARTNER_PENDING = new Set<string>();

/** Operations whose records customers do not see at all (the vendor's sales structure): 404 for a customer role. */
const HIDDEN_FROM_CUSTOMERS = new Set(['getProductGroup']);

const isPartnerCaller = (caller: Caller) => caller.role !== null && isPartnerRole(caller.role);

/** Operations only a signed-in user can use, whatever the route allows (a token has no password). */
const USER_ONLY = new Set(['changePassword', 'getMailPreferences', 'updateMailPreferences']);

/**
 * Operations whose answer for a customer member depends on the person: the member user is in the group
 * (an admin of it) the request names, but a member API token is no person, in no group, so the group and
 * the group's ticket are not found for it.
 */
const PERSONAL: Record<string, 404> = { getCustomerGroup: 404, allocateLicense: 404 };

/** A credential the matrix tries. */
interface Caller {
  name: string;
  kind: 'user' | 'token' | 'admin-token' | 'none';
  role: Role | null;
  token?: string;
  /** For users: to sign in again. */
  email?: string;
  password?: string;
}

interface Req {
  method: string;
  url: string;
  body?: unknown;
  /** Send this credential instead of the caller's own (a second session of the same user). */
  token?: string;
  headers?: Record<string, string>;
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

function expectation(caller: Caller, operationId: string): 'allowed' | 401 | 403 | 404 {
  const access = ACCESS[operationId]!;
  if (access === 'public') return 'allowed';
  if (caller.kind === 'none') return 401;
  if (access === 'authenticated') return USER_ONLY.has(operationId) && caller.kind !== 'user' ? 403 : 'allowed';
  if (STAFF_ONLY.has(operationId) && !isStaffRole(caller.role!)) return 403;
  if (!ROLE_PERMISSIONS[caller.role!].has(access)) return 403;
  if (PERSONAL[operationId] !== undefined && caller.role === 'customer-member' && caller.kind !== 'user') return PERSONAL[operationId];
  return 'allowed';
}

forEachDialect('access matrix', (dialect) => {
  // An SMTP address nothing listens on: no worker runs here, but mail is queued (not held) so retry/send-held answer 2xx.
  const ctx = useTestApp(dialect, { config: { smtpUrl: 'smtp://127.0.0.1:9' } });
  let t: TestApp;
  let api: Client;
  let ops: Operation[];
  let callers: Caller[];
  // Organization A (the customer callers' own), organization B (someone else's), staff-side fixtures.
  let A: { customer: any; product: any; policy: any; license: any; member: any; admin: any; machine: any };
  let B: { customer: any; product: any; policy: any; license: any; user: any; token: string; machine: any };
  let shared: { product: any; licenseA: any; licenseB: any; machineB: any };
  let victim: any;
  // A group of A with A's member user as its admin (the group tickets the member allocates), and one of B.
  let groupA: any;
  let groupB: any;
  // Partner P sells A's product and the shared one, to organization A; partner Q sells B's product to B.
  let P: { partner: any; group: any; user: any };
  let Q: { partner: any; group: any };
  let signInTarget: { email: string; password: string };

  before(async () => {
    t = ctx.t;
    api = ctx.api;
    ops = listOperations((await api.get('/openapi.json')).body);

    const worldA = await factories.world(api, { durationDays: 365, meters: [{ feature: 'matrix-meter', limit: null, period: 'never' }] });
    const worldB = await factories.world(api, { durationDays: 365 });
    const memberA = await factories.signedInUser(api, t.app, 'customer-member', worldA.customer.id);
    const adminA = await factories.signedInUser(api, t.app, 'customer-admin', worldA.customer.id);
    const userB = await factories.signedInUser(api, t.app, 'customer-admin', worldB.customer.id);
    const tokenB = await api.post('/v1/tokens', { name: 'org B', role: 'customer-admin', customerId: worldB.customer.id });
    // A machine on each organization's license (B's before its license is suspended below).
    const anon = client(t.app, undefined);
    const machineA = await anon.post('/v1/machines/activate', { key: worldA.license.key, fingerprint: unique('fp-a'), name: 'Org A workstation' });
    const machineB = await anon.post('/v1/machines/activate', { key: worldB.license.key, fingerprint: unique('fp-b'), name: 'Org B workstation' });
    assert.equal(machineA.status, 201, machineA.raw);
    assert.equal(machineB.status, 201, machineB.raw);
    A = { ...worldA, member: memberA, admin: adminA, machine: machineA.body.machine };
    B = { ...worldB, user: userB, token: tokenB.body.token, machine: machineB.body.machine };
    // A product both organizations hold licenses for.
    const sharedProduct = await factories.product(api);
    const sharedPolicy = await factories.policy(api, sharedProduct.id, 'perpetual');
    shared = {
      product: sharedProduct,
      licenseA: await factories.license(api, sharedPolicy.id, { customerId: A.customer.id }),
      licenseB: await factories.license(api, sharedPolicy.id, { customerId: B.customer.id }),
      machineB: undefined,
    };
    const sharedMachineB = await anon.post('/v1/machines/activate', { key: shared.licenseB.key, fingerprint: unique('fp-b-shared'), hostname: 'orgb-host' });
    assert.equal(sharedMachineB.status, 201, sharedMachineB.raw);
    shared.machineB = sharedMachineB.body.machine;
    // Org B's history: events the customer callers of A must never see.
    await api.post(`/v1/licenses/${B.license.id}/actions/suspend`);
    await api.patch(`/v1/customers/${B.customer.id}`, { notes: 'org B only' });

    groupA = (await api.post(`/v1/customers/${A.customer.id}/groups`, { name: 'Matrix team', visibility: 'admins' })).body;
    assert.equal((await api.post(`/v1/customer-groups/${groupA.id}/members`, { userId: A.member.user.id, admin: true })).status, 200);
    groupB = (await api.post(`/v1/customers/${B.customer.id}/groups`, { name: 'Org B team' })).body;
    assert.ok(groupA.id && groupB.id);
    const groupP = (await api.post('/v1/product-groups', { name: unique('P group'), productIds: [A.product.id, sharedProduct.id] })).body;
    const groupQ = (await api.post('/v1/product-groups', { name: unique('Q group'), productIds: [B.product.id] })).body;
    const ALL_RIGHTS = ['trials:create', 'licenses:create', 'licenses:extend', 'licenses:suspend', 'licenses:revoke', 'subscriptions:cancel', 'customers:create', 'downloads'];
    const partnerP = await api.post('/v1/partners', { name: 'Partner P', grants: [{ productGroupId: groupP.id, rights: ALL_RIGHTS }] });
    const partnerQ = await api.post('/v1/partners', { name: 'Partner Q', grants: [{ productGroupId: groupQ.id, rights: ALL_RIGHTS }] });
    assert.equal(partnerP.status, 201, partnerP.raw);
    assert.equal((await api.patch(`/v1/customers/${A.customer.id}`, { partnerId: partnerP.body.id })).status, 200);
    assert.equal((await api.patch(`/v1/customers/${B.customer.id}`, { partnerId: partnerQ.body.id })).status, 200);
    const userP = await api.post('/v1/users', { email: `${unique('p-user')}@example.com`, role: 'partner-member', partnerId: partnerP.body.id });
    assert.equal(userP.status, 201, userP.raw);
    P = { partner: partnerP.body, group: groupP, user: userP.body };
    Q = { partner: partnerQ.body, group: groupQ };

    victim = (await api.post('/v1/users', { email: `${unique('victim')}@example.com`, role: 'support' })).body;
    const target = await api.post('/v1/users', { email: `${unique('target')}@example.com`, role: 'read-only', password: 'correct horse battery' });
    signInTarget = { email: target.body.email, password: 'correct horse battery' };

    callers = [];
    for (const role of ROLES) {
      if (role === 'customer-admin') callers.push({ name: role, kind: 'user', role, token: adminA.token, email: adminA.email, password: adminA.password });
      else if (role === 'customer-member') callers.push({ name: role, kind: 'user', role, token: memberA.token, email: memberA.email, password: memberA.password });
      else if (isPartnerRole(role)) {
        const email = `${unique(role)}@example.com`;
        const password = 'correct horse battery';
        assert.equal((await api.post('/v1/users', { email, password, role, partnerId: P.partner.id })).status, 201);
        const signIn = await client(t.app, undefined).post('/v1/auth/sign-in', { email, password });
        assert.equal(signIn.status, 200, signIn.raw);
        callers.push({ name: role, kind: 'user', role, token: signIn.body.token, email, password });
      } else {
        const u = await factories.signedInUser(api, t.app, role);
        callers.push({ name: role, kind: 'user', role, token: u.token, email: u.email, password: u.password });
      }
    }
    for (const role of ['customer-admin', 'customer-member'] as const) {
      const tok = await api.post('/v1/tokens', { name: `org A ${role}`, role, customerId: A.customer.id });
      assert.equal(tok.status, 201, tok.raw);
      callers.push({ name: `API token (${role})`, kind: 'token', role, token: tok.body.token });
    }
    const staffToken = await api.post('/v1/tokens', { name: 'staff', role: 'sales' });
    callers.push({ name: 'API token (sales)', kind: 'token', role: 'sales', token: staffToken.body.token });
    callers.push({ name: 'KEYHAVEN_ADMIN_TOKEN', kind: 'admin-token', role: 'owner', token: ADMIN_TOKEN });
    callers.push({ name: 'no credential', kind: 'none', role: null });
  });

  /** A fresh license of organization A, for the operations that change one. */
  const freshLicense = async (overrides: Record<string, unknown> = {}) => factories.license(api, A.policy.id, { customerId: A.customer.id, ...overrides });

  /** A's product opened to public trial sign-ups, with a trial policy (A's own policy is the paid one); fresh trials of A. */
  let trialProduct: { product: any; paid: any } | undefined;
  const trialSetup = async () => {
    if (!trialProduct) {
      assert.equal((await api.patch(`/v1/products/${A.product.id}`, { publicTrials: true })).status, 200);
      await factories.policy(api, A.product.id, 'trial');
      trialProduct = { product: A.product, paid: A.policy };
    }
    return trialProduct;
  };
  const freshTrial = async () => {
    const { product } = await trialSetup();
    const res = await api.post('/v1/licenses/trials', { productId: product.id, customerId: A.customer.id, sendEmail: false });
    assert.equal(res.status, 201, res.raw);
    return res.body;
  };

  /** A subscription policy of A's product and a fresh subscription license of organization A. */
  let subscriptionPolicy: any;
  const freshSubscription = async () => {
    subscriptionPolicy ??= await factories.policy(api, A.product.id, 'subscription', { price: 12000, currency: 'EUR' });
    return factories.license(api, subscriptionPolicy.id, { customerId: A.customer.id });
  };

  /** A job that failed for good (its type has no handler here, it never runs). */
  const failedJob = async () => {
    const { db } = t.deps.database;
    const job = await t.services.jobs.enqueue(db, { type: 'matrix.failed', payload: {} });
    await db.updateTable('jobs').set({ status: 'failed', last_error: 'matrix' }).where('id', '=', job.id).execute();
    return job;
  };

  /** One order per organization (bought with its billing e-mail, so it lands in that organization). */
  const orders = new Map<string, Promise<any>>();
  const orderOf = (org: { customer: any; policy: any }) => {
    if (!orders.has(org.customer.id)) {
      orders.set(
        org.customer.id,
        api.post('/v1/orders', { externalId: unique('matrix-order'), customer: { email: org.customer.email }, items: [{ policyId: org.policy.id }], sendEmail: false }).then((res) => {
          assert.equal(res.status, 201, res.raw);
          return res.body;
        }),
      );
    }
    return orders.get(org.customer.id)!;
  };

  /** A contract of an organization's policy (unlimited: the matrix draws from A's as often as it likes). */
  const freshContract = async (org: { customer: any; policy: any }) => {
    const res = await api.post('/v1/contracts', { customerId: org.customer.id, policyId: org.policy.id, unit: 'licenses', quantity: null });
    assert.equal(res.status, 201, res.raw);
    return res.body;
  };
  const contracts = new Map<string, Promise<any>>();
  let partnerPack: Promise<any> | undefined;
  /** A contract held by partner P on its product group. */
  const partnerContract = () => {
    partnerPack ??= api.post('/v1/contracts', { unit: 'licenses', partnerId: P.partner.id, productGroupId: P.group.id, quantity: 5 }).then((res) => {
      assert.equal(res.status, 201, res.raw);
      return res.body;
    });
    return partnerPack;
  };
  const contractOf = (org: { customer: any; policy: any }) => {
    if (!contracts.has(org.customer.id)) contracts.set(org.customer.id, freshContract(org));
    return contracts.get(org.customer.id)!;
  };

  /** A Stripe event signed with the test app's endpoint secret (a type the adapter ignores: no effects). */
  const stripeEvent = (): Req => {
    const body = { id: unique('evt_matrix'), object: 'event', type: 'matrix.ping', data: { object: { id: unique('obj') } } };
    const t0 = Math.floor(t.clock.now().getTime() / 1000);
    const v1 = createHmac('sha256', TEST_STRIPE_WEBHOOK_SECRET).update(`${t0}.${JSON.stringify(body)}`).digest('hex');
    return { method: 'POST', url: '/v1/integrations/stripe/webhook', body, headers: { 'stripe-signature': `t=${t0},v1=${v1}` } };
  };

  /** A webhook endpoint (no worker runs here: nothing is sent) and a delivery queued to it. */
  const freshWebhookEndpoint = async () => {
    const res = await api.post('/v1/webhook-endpoints', { url: `https://hooks.example.com/${unique('matrix')}`, events: ['license.revoked'] });
    assert.equal(res.status, 201, res.raw);
    return res.body;
  };
  let sharedWebhook: Promise<{ endpoint: any; delivery: any }> | undefined;
  const webhook = () =>
    (sharedWebhook ??= freshWebhookEndpoint().then(async (endpoint) => {
      const delivery = await api.post(`/v1/webhook-endpoints/${endpoint.id}/actions/test`);
      assert.equal(delivery.status, 202, delivery.raw);
      return { endpoint, delivery: delivery.body };
    }));

  /** A mail in the outbox (never delivered: no worker runs here); `failed` for the retry operation. */
  const outboxMail = async (status: 'queued' | 'failed' = 'queued') => {
    const { db } = t.deps.database;
    const sent = await t.services.mail.send(db, { template: 'staff.alert', to: `${unique('matrix-mail')}@example.com`, data: { title: 'Matrix', message: 'Matrix' }, category: 'essential' });
    if (status === 'failed') await db.updateTable('mail_outbox').set({ status: 'failed', last_error: '550 matrix' }).where('id', '=', sent.id).execute();
    return sent;
  };
  let sharedMail: ReturnType<typeof outboxMail> | undefined;
  const unsubscribePath = () => t.services.mailPreferences.unsubscribeUrl(`${unique('matrix-unsub')}@example.com`, 'announcements').replace(t.deps.config.publicUrl, '');
  /** A set-password token of a fresh user without a password. */
  const passwordToken = async () => {
    const user = await api.post('/v1/users', { email: `${unique('matrix-pw')}@example.com`, role: 'read-only' });
    assert.equal(user.status, 201, user.raw);
    return (await t.services.passwordLinks.create(t.deps.database.db, user.body.id, 'set')).token;
  };

  /** A fresh release of A's product, brought to `status` (customers of A may read it once published). */
  const freshRelease = async (status: 'draft' | 'published' | 'yanked') => {
    const res = await api.post('/v1/releases', { productId: A.product.id, version: `1.0.0-${unique('m')}` });
    assert.equal(res.status, 201, res.raw);
    if (status !== 'draft') assert.equal((await api.post(`/v1/releases/${res.body.id}/actions/publish`)).status, 200);
    if (status === 'yanked') assert.equal((await api.post(`/v1/releases/${res.body.id}/actions/yank`)).status, 200);
    return res.body;
  };
  let sharedRelease: ReturnType<typeof freshRelease> | undefined;

  /** A product of its own for the retention operations, so no run touches the shared artifacts. */
  let retentionProduct: Promise<any> | undefined;

  /** An artifact of the shared published release of A's product (customers of A are entitled to it). */
  const freshArtifact = async () => {
    const release = await (sharedRelease ??= freshRelease('published'));
    const res = await api.call('PUT', `/v1/releases/${release.id}/artifacts?platform=linux&arch=x64&fileType=zip&fileName=${unique('m')}.zip`, Buffer.from('matrix artifact'), {
      'content-type': 'application/octet-stream',
    });
    assert.equal(res.status, 201, res.raw);
    return res.body;
  };
  let sharedArtifact: ReturnType<typeof freshArtifact> | undefined;

  /** A published general FAQ entry. */
  const freshFaq = async () => {
    const res = await api.post('/v1/faq', { question: `Matrix ${unique('q')}?`, answer: 'Yes.' });
    assert.equal(res.status, 201, res.raw);
    return res.body;
  };
  let sharedFaq: ReturnType<typeof freshFaq> | undefined;

  /** A fresh machine activated on A's license, for the operations that free a seat. */
  const freshMachine = async () => {
    const res = await client(t.app, undefined).post('/v1/machines/activate', { key: A.license.key, fingerprint: unique('fp-a') });
    assert.equal(res.status, 201, res.raw);
    return res.body.machine;
  };

  /**
   * A request that would be valid, per operation. `allowed` says whether the caller should get through:
   * then operations that change or delete get objects of their own, so fixtures survive; a refused
   * request gets the shared fixtures (and if it were wrongly let through, the matrix reports it).
   */
  const requests: Record<string, (caller: Caller, allowed: boolean) => Promise<Req>> = {
    getHealth: async () => ({ method: 'GET', url: '/health' }),
    getPublicKey: async () => ({ method: 'GET', url: '/v1/public-key' }),
    validateLicense: async () => ({ method: 'POST', url: '/v1/licenses/validate', body: { key: A.license.key } }),
    signIn: async () => ({ method: 'POST', url: '/v1/auth/sign-in', body: signInTarget }),
    getMe: async () => ({ method: 'GET', url: '/v1/auth/me' }),
    signOut: async (caller, allowed) => {
      // End a second session of the same user, not the one the matrix goes on using.
      if (allowed && caller.kind === 'user') {
        const res = await client(t.app, undefined).post('/v1/auth/sign-in', { email: caller.email, password: caller.password });
        assert.equal(res.status, 200, res.raw);
        return { method: 'POST', url: '/v1/auth/sign-out', token: res.body.token };
      }
      return { method: 'POST', url: '/v1/auth/sign-out' };
    },
    changePassword: async (caller) => ({
      method: 'POST',
      url: '/v1/auth/password',
      body: { currentPassword: caller.password ?? 'correct horse battery', newPassword: `${caller.password ?? 'correct horse battery'}!` },
    }),
    createProduct: async () => ({ method: 'POST', url: '/v1/products', body: { name: unique('Product') } }),
    listProducts: async () => ({ method: 'GET', url: '/v1/products' }),
    getProduct: async () => ({ method: 'GET', url: `/v1/products/${A.product.id}` }),
    updateProduct: async () => ({ method: 'PATCH', url: `/v1/products/${A.product.id}`, body: { description: 'Edited by the matrix' } }),
    deleteProduct: async (_c, allowed) => ({ method: 'DELETE', url: `/v1/products/${allowed ? (await factories.product(api)).id : A.product.id}` }),
    createPolicy: async () => ({ method: 'POST', url: '/v1/policies', body: { productId: A.product.id, name: 'Matrix', kind: 'perpetual' } }),
    listPolicies: async () => ({ method: 'GET', url: '/v1/policies' }),
    getPolicy: async () => ({ method: 'GET', url: `/v1/policies/${A.policy.id}` }),
    updatePolicy: async () => ({ method: 'PATCH', url: `/v1/policies/${A.policy.id}`, body: { graceDays: 0 } }),
    deletePolicy: async (_c, allowed) => ({
      method: 'DELETE',
      url: `/v1/policies/${allowed ? (await factories.policy(api, A.product.id, 'perpetual')).id : A.policy.id}`,
    }),
    createCustomer: async () => ({ method: 'POST', url: '/v1/customers', body: { name: 'Matrix Ltd', email: `${unique('billing')}@example.com` } }),
    listCustomers: async () => ({ method: 'GET', url: '/v1/customers' }),
    exportCustomers: async () => ({ method: 'GET', url: '/v1/customers/export' }),
    getCustomer: async () => ({ method: 'GET', url: `/v1/customers/${A.customer.id}` }),
    updateCustomer: async () => ({ method: 'PATCH', url: `/v1/customers/${A.customer.id}`, body: { notes: 'Edited by the matrix' } }),
    deleteCustomer: async (c, allowed) => ({
      method: 'DELETE',
      url: `/v1/customers/${allowed ? (await factories.customer(api, isPartnerCaller(c) ? { partnerId: P.partner.id } : {})).id : A.customer.id}`,
    }),
    createUser: async (c) => ({
      method: 'POST',
      url: '/v1/users',
      body: { email: `${unique('new')}@example.com`, ...(isPartnerCaller(c) ? { role: 'partner-member', partnerId: P.partner.id } : { role: 'read-only' }) },
    }),
    listUsers: async () => ({ method: 'GET', url: '/v1/users' }),
    getUser: async (c) => ({ method: 'GET', url: `/v1/users/${isPartnerCaller(c) ? P.user.id : A.member.user.id}` }),
    updateUser: async (c) => ({ method: 'PATCH', url: `/v1/users/${isPartnerCaller(c) ? P.user.id : victim.id}`, body: { name: 'Edited by the matrix' } }),
    createToken: async () => ({ method: 'POST', url: '/v1/tokens', body: { name: 'matrix', role: 'read-only' } }),
    listTokens: async () => ({ method: 'GET', url: '/v1/tokens' }),
    revokeToken: async () => ({ method: 'DELETE', url: `/v1/tokens/${(await api.post('/v1/tokens', { name: 'to revoke', role: 'read-only' })).body.id}` }),
    // Customer admins create licenses only from their organization's contract (delegated creation).
    createLicense: async (caller) => ({
      method: 'POST',
      url: '/v1/licenses',
      body: { policyId: A.policy.id, customerId: A.customer.id, ...(caller.role?.startsWith('customer') ? { contractId: (await contractOf(A)).id } : {}) },
    }),
    listLicenses: async () => ({ method: 'GET', url: '/v1/licenses' }),
    exportLicenses: async () => ({ method: 'GET', url: '/v1/licenses/export' }),
    lookupLicense: async () => ({ method: 'POST', url: '/v1/licenses/lookup', body: { key: A.license.key } }),
    getLicense: async () => ({ method: 'GET', url: `/v1/licenses/${A.license.id}` }),
    sendLicenseKey: async () => ({ method: 'POST', url: `/v1/licenses/${A.license.id}/actions/send-key` }),
    updateLicense: async () => ({ method: 'PATCH', url: `/v1/licenses/${A.license.id}`, body: { notes: 'Edited by the matrix' } }),
    revealLicenseKey: async () => ({ method: 'GET', url: `/v1/licenses/${A.license.id}/key` }),
    listLicenseEvents: async () => ({ method: 'GET', url: `/v1/licenses/${A.license.id}/events` }),
    suspendLicense: async (_c, allowed) => ({ method: 'POST', url: `/v1/licenses/${allowed ? (await freshLicense()).id : A.license.id}/actions/suspend` }),
    reinstateLicense: async (_c, allowed) => {
      const license = allowed ? await freshLicense() : A.license;
      if (allowed) assert.equal((await api.post(`/v1/licenses/${license.id}/actions/suspend`)).status, 200);
      return { method: 'POST', url: `/v1/licenses/${license.id}/actions/reinstate` };
    },
    revokeLicense: async (_c, allowed) => ({ method: 'POST', url: `/v1/licenses/${allowed ? (await freshLicense()).id : A.license.id}/actions/revoke` }),
    renewLicense: async (_c, allowed) => ({ method: 'POST', url: `/v1/licenses/${allowed ? (await freshLicense()).id : A.license.id}/actions/renew` }),
    extendLicense: async (_c, allowed) => ({ method: 'POST', url: `/v1/licenses/${allowed ? (await freshLicense()).id : A.license.id}/actions/extend`, body: { days: 1 } }),
    activateMachine: async () => ({ method: 'POST', url: '/v1/machines/activate', body: { key: A.license.key, fingerprint: unique('fp-activate'), name: 'Matrix PC' } }),
    deactivateMachine: async () => ({ method: 'POST', url: '/v1/machines/deactivate', body: { key: A.license.key, fingerprint: (await freshMachine()).fingerprint } }),
    heartbeatMachine: async () => ({ method: 'POST', url: '/v1/machines/heartbeat', body: { key: A.license.key, fingerprint: A.machine.fingerprint } }),
    listMachines: async () => ({ method: 'GET', url: `/v1/machines?licenseId=${A.license.id}` }),
    exportMachines: async () => ({ method: 'GET', url: `/v1/machines/export?licenseId=${A.license.id}` }),
    deleteMachine: async (_c, allowed) => ({ method: 'DELETE', url: `/v1/machines/${allowed ? (await freshMachine()).id : A.machine.id}` }),
    activateLicenseMachine: async () => ({ method: 'POST', url: `/v1/licenses/${A.license.id}/machines`, body: { fingerprint: unique('fp-signed-in'), name: 'Signed-in PC' } }),
    listLicenseUsers: async () => ({ method: 'GET', url: `/v1/licenses/${A.license.id}/users` }),
    addLicenseUser: async (_c, allowed) => ({
      method: 'POST',
      url: `/v1/licenses/${allowed ? (await freshLicense()).id : A.license.id}/users`,
      body: { identifier: `${unique('user')}@example.com` },
    }),
    removeLicenseUser: async () => {
      // Always a fresh license: a named user turns a license into a per-user one.
      const license = await freshLicense();
      const user = await api.post(`/v1/licenses/${license.id}/users`, { identifier: `${unique('gone')}@example.com` });
      assert.equal(user.status, 201, user.raw);
      return { method: 'DELETE', url: `/v1/licenses/${license.id}/users/${user.body.id}` };
    },
    resetLicenseMachines: async (_c, allowed) => ({ method: 'POST', url: `/v1/licenses/${allowed ? (await freshLicense()).id : A.license.id}/actions/reset-machines` }),
    checkoutLicenseFile: async () => ({ method: 'POST', url: '/v1/licenses/checkout', body: { key: A.license.key } }),
    checkinLicenseFile: async () => ({ method: 'POST', url: '/v1/licenses/checkin', body: { key: A.license.key, fingerprint: A.machine.fingerprint } }),
    createOfflineActivation: async () => ({
      method: 'POST',
      url: '/v1/machines/offline-activations',
      body: { request: armor(ACTIVATION_REQUEST_LABEL, { key: A.license.key, fingerprint: unique('fp-offline') }) },
    }),
    recordUsage: async () => ({ method: 'POST', url: '/v1/usage', body: { key: A.license.key, feature: 'matrix-meter' } }),
    listLicenseUsage: async () => ({ method: 'GET', url: `/v1/licenses/${A.license.id}/usage` }),
    createRelease: async () => ({ method: 'POST', url: '/v1/releases', body: { productId: A.product.id, version: `2.0.0-${unique('m')}` } }),
    listReleases: async () => ({ method: 'GET', url: `/v1/releases?productId=${A.product.id}` }),
    getRelease: async () => ({ method: 'GET', url: `/v1/releases/${(await (sharedRelease ??= freshRelease('published'))).id}` }),
    updateRelease: async () => ({ method: 'PATCH', url: `/v1/releases/${(await (sharedRelease ??= freshRelease('published'))).id}`, body: { notes: 'Edited by the matrix' } }),
    publishRelease: async () => ({ method: 'POST', url: `/v1/releases/${(await freshRelease('draft')).id}/actions/publish` }),
    yankRelease: async () => ({ method: 'POST', url: `/v1/releases/${(await freshRelease('published')).id}/actions/yank`, body: { reason: 'matrix' } }),
    unyankRelease: async () => ({ method: 'POST', url: `/v1/releases/${(await freshRelease('yanked')).id}/actions/unyank` }),
    deleteRelease: async () => ({ method: 'DELETE', url: `/v1/releases/${(await freshRelease('draft')).id}` }),
    listAnnouncementRecipients: async () => ({ method: 'GET', url: `/v1/releases/${(await (sharedRelease ??= freshRelease('published'))).id}/announcement/recipients` }),
    announceRelease: async (_c, allowed) => ({ method: 'POST', url: `/v1/releases/${(allowed ? await freshRelease('published') : await (sharedRelease ??= freshRelease('published'))).id}/announce`, body: {} }),
    getOverview: async () => ({ method: 'GET', url: '/v1/stats/overview' }),
    listFaqEntries: async () => ({ method: 'GET', url: '/v1/faq' }),
    createFaqEntry: async () => ({ method: 'POST', url: '/v1/faq', body: { question: 'Created by the matrix?', answer: 'Yes.' } }),
    updateFaqEntry: async () => ({ method: 'PATCH', url: `/v1/faq/${(await (sharedFaq ??= freshFaq())).id}`, body: { answer: 'Edited by the matrix.' } }),
    deleteFaqEntry: async (_c, allowed) => ({ method: 'DELETE', url: `/v1/faq/${(allowed ? await freshFaq() : await (sharedFaq ??= freshFaq())).id}` }),
    getSettings: async () => ({ method: 'GET', url: '/v1/settings' }),
    updateSettings: async () => ({ method: 'PATCH', url: '/v1/settings', body: { alertExpiryDays: 9 } }),
    checkForUpdate: async () => ({ method: 'POST', url: '/v1/updates/check', body: { key: A.license.key, product: A.product.id, version: '0.1.0' } }),
    uploadArtifact: async () => ({
      method: 'PUT',
      url: `/v1/releases/${(await (sharedRelease ??= freshRelease('published'))).id}/artifacts?platform=linux&arch=x64&fileType=zip&fileName=matrix.zip`,
      body: Buffer.from('matrix upload'),
      headers: { 'content-type': 'application/octet-stream' },
    }),
    listArtifacts: async () => ({ method: 'GET', url: `/v1/releases/${(await (sharedRelease ??= freshRelease('published'))).id}/artifacts` }),
    deleteArtifact: async (_c, allowed) => ({ method: 'DELETE', url: `/v1/artifacts/${(allowed ? await freshArtifact() : await (sharedArtifact ??= freshArtifact())).id}` }),
    listArtifactDownloads: async () => ({ method: 'GET', url: `/v1/artifacts/${(await (sharedArtifact ??= freshArtifact())).id}/downloads` }),
    createDownloadLink: async () => ({ method: 'POST', url: `/v1/artifacts/${(await (sharedArtifact ??= freshArtifact())).id}/download-link` }),
    createDownloadLinkForKey: async () => ({ method: 'POST', url: `/v1/artifacts/${(await (sharedArtifact ??= freshArtifact())).id}/download-link/by-key`, body: { key: A.license.key } }),
    downloadArtifact: async () => {
      const link = await api.post(`/v1/artifacts/${(await (sharedArtifact ??= freshArtifact())).id}/download-link`);
      assert.equal(link.status, 200, link.raw);
      const url = new URL(link.body.url);
      return { method: 'GET', url: url.pathname + url.search };
    },
    getReleaseRetention: async () => ({ method: 'GET', url: `/v1/products/${(await (retentionProduct ??= factories.product(api))).id}/retention` }),
    setReleaseRetention: async () => ({ method: 'PUT', url: `/v1/products/${(await (retentionProduct ??= factories.product(api))).id}/retention`, body: { keepVersions: 5, keepDays: null } }),
    applyReleaseRetention: async () => ({ method: 'POST', url: `/v1/products/${(await (retentionProduct ??= factories.product(api))).id}/retention/actions/apply` }),
    listEvents: async () => ({ method: 'GET', url: '/v1/events' }),
    listValidations: async () => ({ method: 'GET', url: `/v1/validations?licenseId=${A.license.id}` }),
    listJobs: async () => ({ method: 'GET', url: '/v1/jobs?status=failed' }),
    getJob: async () => ({ method: 'GET', url: `/v1/jobs/${(await failedJob()).id}` }),
    retryJob: async () => ({ method: 'POST', url: `/v1/jobs/${(await failedJob()).id}/retry` }),
    listJobSchedules: async () => ({ method: 'GET', url: '/v1/job-schedules' }),
    listMailTemplates: async () => ({ method: 'GET', url: '/v1/mail-templates' }),
    getMailTemplate: async () => ({ method: 'GET', url: '/v1/mail-templates/license.issued' }),
    updateMailTemplate: async () => ({ method: 'PUT', url: '/v1/mail-templates/staff.alert', body: { subject: '[Matrix] {{ title }}', text: '{{ message }}', html: '<p>{{ message }}</p>' } }),
    resetMailTemplate: async () => ({ method: 'POST', url: '/v1/mail-templates/license.renewed/actions/reset' }),
    previewMailTemplate: async () => ({ method: 'POST', url: '/v1/mail-templates/license.issued/preview', body: {} }),
    listOutbox: async () => ({ method: 'GET', url: '/v1/outbox' }),
    getOutboxMail: async () => ({ method: 'GET', url: `/v1/outbox/${(await (sharedMail ??= outboxMail())).id}` }),
    retryOutboxMail: async (_c, allowed) => ({ method: 'POST', url: `/v1/outbox/${(allowed ? await outboxMail('failed') : await (sharedMail ??= outboxMail())).id}/actions/retry` }),
    sendHeldMail: async () => ({ method: 'POST', url: '/v1/outbox/actions/send-held', body: {} }),
    getMailPreferences: async () => ({ method: 'GET', url: '/v1/mail-preferences' }),
    updateMailPreferences: async () => ({ method: 'PATCH', url: '/v1/mail-preferences', body: { announcements: true } }),
    getAddressMailPreferences: async () => ({ method: 'GET', url: `/v1/mail-preferences/${encodeURIComponent(A.customer.email)}` }),
    updateAddressMailPreferences: async () => ({ method: 'PATCH', url: `/v1/mail-preferences/${encodeURIComponent(A.customer.email)}`, body: { announcements: true } }),
    unsubscribeMail: async () => ({ method: 'GET', url: unsubscribePath() }),
    unsubscribeMailOneClick: async () => ({ method: 'POST', url: unsubscribePath() }),
    requestPasswordReset: async () => ({ method: 'POST', url: '/v1/auth/password-reset', body: { email: `${unique('nobody')}@example.com` } }),
    completePasswordReset: async () => ({ method: 'POST', url: '/v1/auth/password-reset/complete', body: { token: await passwordToken(), password: 'matrix passphrase' } }),
    sendPasswordLink: async (c) => ({ method: 'POST', url: `/v1/users/${isPartnerCaller(c) ? P.user.id : victim.id}/actions/send-password-link` }),
    listWebhookEventTypes: async () => ({ method: 'GET', url: '/v1/webhook-event-types' }),
    createWebhookEndpoint: async () => ({ method: 'POST', url: '/v1/webhook-endpoints', body: { url: 'https://hooks.example.com/matrix', events: ['license.revoked'] } }),
    listWebhookEndpoints: async () => ({ method: 'GET', url: '/v1/webhook-endpoints' }),
    getWebhookEndpoint: async () => ({ method: 'GET', url: `/v1/webhook-endpoints/${(await webhook()).endpoint.id}` }),
    updateWebhookEndpoint: async () => ({ method: 'PATCH', url: `/v1/webhook-endpoints/${(await webhook()).endpoint.id}`, body: { description: 'Edited by the matrix' } }),
    deleteWebhookEndpoint: async (_c, allowed) => ({ method: 'DELETE', url: `/v1/webhook-endpoints/${allowed ? (await freshWebhookEndpoint()).id : (await webhook()).endpoint.id}` }),
    rotateWebhookSecret: async (_c, allowed) => ({
      method: 'POST',
      url: `/v1/webhook-endpoints/${allowed ? (await freshWebhookEndpoint()).id : (await webhook()).endpoint.id}/actions/rotate-secret`,
      body: {},
    }),
    sendTestWebhook: async () => ({ method: 'POST', url: `/v1/webhook-endpoints/${(await webhook()).endpoint.id}/actions/test` }),
    listWebhookDeliveries: async () => ({ method: 'GET', url: `/v1/webhook-endpoints/${(await webhook()).endpoint.id}/deliveries?status=pending` }),
    getWebhookDelivery: async () => ({ method: 'GET', url: `/v1/webhook-deliveries/${(await webhook()).delivery.id}` }),
    redeliverWebhook: async () => ({ method: 'POST', url: `/v1/webhook-deliveries/${(await webhook()).delivery.id}/actions/redeliver` }),
    createContract: async () => ({ method: 'POST', url: '/v1/contracts', body: { customerId: A.customer.id, policyId: A.policy.id, unit: 'licenses', quantity: 5 } }),
    listContracts: async () => ({ method: 'GET', url: '/v1/contracts' }),
    // A partner reads its own partner's contracts (a contract held by one of its customers is the customer's).
    getContract: async (caller) => ({
      method: 'GET',
      url: `/v1/contracts/${caller.role?.startsWith('partner-') ? (await partnerContract()).id : (await contractOf(A)).id}`,
    }),
    listContractPolicies: async (caller) => ({
      method: 'GET',
      url: `/v1/contracts/${caller.role?.startsWith('partner-') ? (await partnerContract()).id : (await contractOf(A)).id}/policies`,
    }),
    updateContract: async (_c, allowed) => ({ method: 'PATCH', url: `/v1/contracts/${(allowed ? await freshContract(A) : await contractOf(A)).id}`, body: { quantity: 7 } }),
    cancelContract: async (_c, allowed) => ({ method: 'POST', url: `/v1/contracts/${(allowed ? await freshContract(A) : await contractOf(A)).id}/actions/cancel` }),
    createOrder: async () => ({ method: 'POST', url: '/v1/orders', body: { externalId: unique('matrix'), customer: { email: `${unique('buyer')}@example.com` }, items: [{ policyId: A.policy.id }], sendEmail: false } }),
    listOrders: async () => ({ method: 'GET', url: '/v1/orders' }),
    exportOrders: async () => ({ method: 'GET', url: '/v1/orders/export' }),
    getOrder: async () => ({ method: 'GET', url: `/v1/orders/${(await orderOf(A)).id}` }),
    receiveStripeEvent: async () => stripeEvent(),
    cancelSubscription: async (_c, allowed) => ({ method: 'POST', url: `/v1/licenses/${allowed ? (await freshSubscription()).id : A.license.id}/actions/cancel-subscription`, body: {} }),
    resumeSubscription: async (_c, allowed) => {
      if (!allowed) return { method: 'POST', url: `/v1/licenses/${A.license.id}/actions/resume-subscription` };
      const license = await freshSubscription();
      assert.equal((await api.post(`/v1/licenses/${license.id}/actions/cancel-subscription`, {})).status, 200);
      return { method: 'POST', url: `/v1/licenses/${license.id}/actions/resume-subscription` };
    },
    renewSubscription: async (_c, allowed) => ({
      method: 'POST',
      url: `/v1/licenses/${allowed ? (await freshSubscription()).id : A.license.id}/actions/renew-subscription`,
      body: { price: 9900, currency: 'EUR' },
    }),
    listRenewals: async () => ({ method: 'GET', url: '/v1/renewals' }),
    exportRenewals: async () => ({ method: 'GET', url: '/v1/renewals/export' }),
    addLicenseFeatures: async (_c, allowed) => ({ method: 'POST', url: `/v1/licenses/${allowed ? (await freshLicense()).id : A.license.id}/actions/add-features`, body: { features: ['matrix-module'] } }),
    removeLicenseFeatures: async (_c, allowed) => ({
      method: 'POST',
      url: `/v1/licenses/${allowed ? (await freshLicense({ features: ['matrix-module'] })).id : A.license.id}/actions/remove-features`,
      body: { features: ['matrix-module'] },
    }),
    addLicenseSeats: async (_c, allowed) => ({ method: 'POST', url: `/v1/licenses/${allowed ? (await freshLicense({ maxMachines: 2 })).id : A.license.id}/actions/add-seats`, body: { seats: 5 } }),
    changeLicensePolicy: async (_c, allowed) => ({
      method: 'POST',
      url: `/v1/licenses/${allowed ? (await freshLicense()).id : A.license.id}/actions/change-policy`,
      body: { policyId: A.policy.id, keepExpiry: true },
    }),
    listNotices: async () => ({ method: 'POST', url: '/v1/notices', body: { key: A.license.key } }),
    listLicenseReminders: async () => ({ method: 'GET', url: `/v1/licenses/${A.license.id}/reminders` }),
    signUpForTrial: async () => ({ method: 'POST', url: '/v1/trials', body: { product: (await trialSetup()).product.code, email: `${unique('trial')}@example.com` } }),
    createTrial: async () => ({ method: 'POST', url: '/v1/licenses/trials', body: { productId: (await trialSetup()).product.id, customerId: A.customer.id, sendEmail: false } }),
    extendTrial: async (_c, allowed) => ({ method: 'POST', url: `/v1/licenses/${allowed ? (await freshTrial()).id : A.license.id}/actions/extend-trial`, body: {} }),
    convertTrial: async (_c, allowed) => ({
      method: 'POST',
      url: `/v1/licenses/${allowed ? (await freshTrial()).id : A.license.id}/actions/convert-trial`,
      body: { policyId: (await trialSetup()).paid.id },
    }),
    listTrials: async () => ({ method: 'GET', url: '/v1/trials' }),
    createCustomerGroup: async () => ({ method: 'POST', url: `/v1/customers/${A.customer.id}/groups`, body: { name: unique('Group') } }),
    listCustomerGroups: async () => ({ method: 'GET', url: `/v1/customers/${A.customer.id}/groups` }),
    getCustomerGroup: async () => ({ method: 'GET', url: `/v1/customer-groups/${groupA.id}` }),
    updateCustomerGroup: async () => ({ method: 'PATCH', url: `/v1/customer-groups/${groupA.id}`, body: { name: unique('Matrix team') } }),
    deleteCustomerGroup: async (_c, allowed) => ({
      method: 'DELETE',
      url: `/v1/customer-groups/${allowed ? (await api.post(`/v1/customers/${A.customer.id}/groups`, { name: unique('Doomed') })).body.id : groupA.id}`,
    }),
    addCustomerGroupMember: async () => ({ method: 'POST', url: `/v1/customer-groups/${groupA.id}/members`, body: { userId: A.member.user.id, admin: true } }),
    removeCustomerGroupMember: async (_c, allowed) => {
      if (!allowed) return { method: 'DELETE', url: `/v1/customer-groups/${groupA.id}/members/${A.member.user.id}` };
      const group = (await api.post(`/v1/customers/${A.customer.id}/groups`, { name: unique('Leaving') })).body;
      assert.equal((await api.post(`/v1/customer-groups/${group.id}/members`, { userId: A.admin.user.id, admin: false })).status, 200);
      return { method: 'DELETE', url: `/v1/customer-groups/${group.id}/members/${A.admin.user.id}` };
    },
    // A ticket of A's group: the member user allocates it within the group, as its admin; others anywhere in A.
    allocateLicense: async (caller, allowed) => {
      if (!allowed && caller.role !== 'customer-member') return { method: 'POST', url: `/v1/licenses/${A.license.id}/allocation`, body: {} };
      const license = await freshLicense();
      assert.equal((await api.post(`/v1/licenses/${license.id}/allocation`, { groupId: groupA.id })).status, 200);
      return { method: 'POST', url: `/v1/licenses/${license.id}/allocation`, body: caller.role === 'customer-member' ? { userId: A.member.user.id } : { groupId: groupA.id, userId: A.member.user.id } };
    },
    createProductGroup: async () => ({ method: 'POST', url: '/v1/product-groups', body: { name: unique('Group'), productIds: [A.product.id] } }),
    listProductGroups: async () => ({ method: 'GET', url: '/v1/product-groups' }),
    getProductGroup: async () => ({ method: 'GET', url: `/v1/product-groups/${P.group.id}` }),
    updateProductGroup: async (_c, allowed) => ({
      method: 'PATCH',
      url: `/v1/product-groups/${allowed ? (await api.post('/v1/product-groups', { name: unique('Group'), productIds: [] })).body.id : P.group.id}`,
      body: { position: 3 },
    }),
    deleteProductGroup: async (_c, allowed) => ({
      method: 'DELETE',
      url: `/v1/product-groups/${allowed ? (await api.post('/v1/product-groups', { name: unique('Group'), productIds: [] })).body.id : P.group.id}`,
    }),
    createPartner: async () => ({ method: 'POST', url: '/v1/partners', body: { name: unique('Partner'), grants: [{ productGroupId: Q.group.id, rights: ['downloads'] }] } }),
    listPartners: async () => ({ method: 'GET', url: '/v1/partners' }),
    getPartner: async () => ({ method: 'GET', url: `/v1/partners/${P.partner.id}` }),
    updatePartner: async (_c, allowed) => ({
      method: 'PATCH',
      url: `/v1/partners/${allowed ? (await api.post('/v1/partners', { name: unique('Partner'), grants: [] })).body.id : Q.partner.id}`,
      body: { email: 'sales@partner.example' },
    }),
    getPartnerActiveSubscriptions: async () => ({ method: 'GET', url: '/v1/reports/partners/active-subscriptions?day=2026-03-01' }),
    exportPartnerActiveSubscriptions: async () => ({ method: 'GET', url: '/v1/reports/partners/active-subscriptions/export?day=2026-03-01' }),
    getPartnerActivity: async () => ({ method: 'GET', url: '/v1/reports/partners/activity?from=2026-01-01&to=2026-12-31' }),
    getVersionsReport: async () => ({ method: 'GET', url: '/v1/reports/versions' }),
    exportPartnerActivity: async () => ({ method: 'GET', url: '/v1/reports/partners/activity/export?from=2026-01-01&to=2026-12-31' }),
  };

  async function call(caller: Caller, req: Req): Promise<Answer> {
    const token = req.token ?? caller.token;
    return client(t.app, token).call(req.method, req.url, req.body, req.headers);
  }

  test('the matrix covers exactly the operations of the OpenAPI document', () => {
    const documented = ops.map((o) => o.operationId).sort();
    assert.deepEqual(Object.keys(ACCESS).sort(), documented, 'ACCESS has one entry per documented operation');
    assert.deepEqual(Object.keys(requests).sort(), documented, 'every operation has a request builder');
    for (const op of ops) {
      const access = ACCESS[op.operationId]!;
      assert.ok(access === 'public' || access === 'authenticated' || (PERMISSIONS as readonly string[]).includes(access), op.operationId);
      assert.equal(op.public, access === 'public', `${op.operationId}: the document's security says ${op.public ? 'public' : 'bearer'}`);
    }
    // Every permission guards something, and every role is tried.
    const used = new Set(Object.values(ACCESS));
    for (const permission of PERMISSIONS) assert.ok(used.has(permission), `${permission} guards no operation`);
    for (const role of ROLES) assert.ok(callers.some((c) => c.role === role && c.kind === 'user'), role);
  });

  test('every credential × every operation: allowed exactly when the role has the permission, else 403; no credential 401', async () => {
    const failures: string[] = [];
    let allowedCount = 0;
    for (const caller of callers) {
      for (const op of ops) {
        const expected = expectation(caller, op.operationId);
        const req = await requests[op.operationId]!(caller, expected === 'allowed');
        const res = await call(caller, req);
        const where = `${caller.name} → ${op.operationId} (${req.method} ${req.url})`;
        if (expected === 'allowed' && isPartnerCaller(caller) && PARTNER_PENDING.has(op.operationId)) {
          if (res.status >= 500) failures.push(`${where}: expected no 5xx, got ${res.status} ${res.raw.slice(0, 200)}`);
          for (const id of [B.customer.id, B.license.id, shared.licenseB.id, B.machine.id, B.user.user.id]) if (res.raw.includes(id)) failures.push(`${where}: mentions organization B's ${id}`);
        } else if (expected === 'allowed' && isCustomerRole(caller.role ?? '') && HIDDEN_FROM_CUSTOMERS.has(op.operationId)) {
          if (res.status !== 404) failures.push(`${where}: expected 404 for a customer, got ${res.status} ${res.raw.slice(0, 200)}`);
        } else if (expected === 'allowed') {
          allowedCount++;
          if (res.status < 200 || res.status > 299) failures.push(`${where}: expected 2xx, got ${res.status} ${res.raw.slice(0, 200)}`);
          else if (op.operationId === 'changePassword') caller.password = (req.body as { newPassword: string }).newPassword;
        } else {
          const code = expected === 401 ? 'UNAUTHENTICATED' : expected === 404 ? 'NOT_FOUND' : 'FORBIDDEN';
          if (res.status !== expected || res.body?.error?.code !== code) failures.push(`${where}: expected ${expected} ${code}, got ${res.status} ${res.raw.slice(0, 200)}`);
        }
      }
    }
    assert.equal(failures.length, 0, `${failures.length} wrong answers:\n${failures.join('\n')}`);
    assert.ok(allowedCount > 150, `only ${allowedCount} allowed requests`);
    // The credentials still work after the whole matrix (nothing revoked a session or token by accident).
    for (const caller of callers.filter((c) => c.kind !== 'none')) assert.equal((await call(caller, { method: 'GET', url: '/v1/auth/me' })).status, 200, caller.name);
  });

  test('a customer sees its own organization only, and cannot write', async () => {
    const customerCallers = callers.filter((c) => c.role === 'customer-admin' || c.role === 'customer-member');
    assert.equal(customerCallers.length, 4);
    const orderA = await orderOf(A);
    const orderB = await orderOf(B);
    const contractA = await contractOf(A);
    const contractB = await contractOf(B);
    const bIds = new Set<string>([
      orderB.id,
      contractB.id,
      B.customer.id,
      B.product.id,
      B.policy.id,
      B.license.id,
      B.user.user.id,
      groupB.id,
      shared.licenseB.id,
      B.machine.id,
      B.machine.fingerprint,
      shared.machineB.id,
      shared.machineB.fingerprint,
    ]);
    const failures: string[] = [];
    const fail = (caller: Caller, message: string) => failures.push(`${caller.name}: ${message}`);

    for (const caller of customerCallers) {
      const perms = ROLE_PERMISSIONS[caller.role!];
      const get = (url: string) => call(caller, { method: 'GET', url });
      const readAll = async (url: string): Promise<any[]> => {
        const items: any[] = [];
        let cursor: string | null = null;
        do {
          const res: Answer = await get(`${url}${url.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${cursor}` : ''}`);
          if (res.status !== 200) {
            fail(caller, `GET ${url}: ${res.status} ${res.raw.slice(0, 200)}`);
            return items;
          }
          items.push(...res.body.data);
          cursor = res.body.nextCursor;
        } while (cursor);
        return items;
      };
      const leaks = (what: string, value: unknown) => {
        const text = JSON.stringify(value);
        for (const id of bIds) if (text.includes(id)) fail(caller, `${what} mentions organization B's ${id}`);
        if (text.includes('org B only')) fail(caller, `${what} shows organization B's notes`);
      };

      // Lists: only A.
      const licenses = await readAll('/v1/licenses');
      if (!licenses.some((l) => l.id === A.license.id) || !licenses.some((l) => l.id === shared.licenseA.id)) fail(caller, "A's licenses are missing from the list");
      for (const l of licenses) if (l.customerId !== A.customer.id) fail(caller, `the license list holds ${l.id} of ${l.customerId}`);
      leaks('the license list', licenses);
      for (const filter of [`customerId=${B.customer.id}`, `productId=${B.product.id}`, `policyId=${B.policy.id}`, `q=${encodeURIComponent(B.license.name)}`]) {
        const filtered = await readAll(`/v1/licenses?${filter}`);
        leaks(`the license list filtered by ${filter}`, filtered);
      }

      const customers = await readAll('/v1/customers');
      assert.deepEqual(customers.map((c) => c.id), [A.customer.id], `${caller.name}: the customer list`);
      leaks('the customer list', await readAll(`/v1/customers?email=${encodeURIComponent(B.customer.email)}`));

      const products = await readAll('/v1/products');
      assert.deepEqual(new Set(products.map((p) => p.id)), new Set([A.product.id, shared.product.id]), `${caller.name}: the product list is the products A holds licenses for`);

      // B's objects: 404, or 403 where the role lacks the permission anyway.
      const hidden: [string, Permission][] = [
        [`/v1/licenses/${B.license.id}`, 'licenses:read'],
        [`/v1/licenses/${shared.licenseB.id}`, 'licenses:read'],
        [`/v1/licenses/${B.license.id}/key`, 'licenses:reveal'],
        [`/v1/licenses/${B.license.id}/events`, 'licenses:read'],
        [`/v1/customers/${B.customer.id}`, 'customers:read'],
        [`/v1/users/${B.user.user.id}`, 'users:read'],
        [`/v1/products/${B.product.id}`, 'products:read'],
        [`/v1/products/${B.product.code}`, 'products:read'],
        [`/v1/policies/${B.policy.id}`, 'policies:read'],
        [`/v1/orders/${orderB.id}`, 'orders:read'],
        [`/v1/customers/${B.customer.id}/groups`, 'customers:read'],
        [`/v1/customer-groups/${groupB.id}`, 'customers:read'],
        [`/v1/contracts/${contractB.id}`, 'contracts:read'],
      ];
      for (const [url, permission] of hidden) {
        const res = await get(url);
        const expected = perms.has(permission) ? 404 : 403;
        if (res.status !== expected) fail(caller, `GET ${url}: expected ${expected}, got ${res.status} ${res.raw.slice(0, 200)}`);
        if (res.status < 400) leaks(`GET ${url}`, res.body);
      }
      // B's key looked up: the same 404 as a key nobody holds (no id, same message).
      if (perms.has('licenses:read')) {
        const lookup = (key: string) => call(caller, { method: 'POST', url: '/v1/licenses/lookup', body: { key } });
        const other = await lookup(B.license.key);
        const unknown = await lookup(generateLicenseKey());
        if (other.status !== 404 || unknown.status !== 404 || other.raw !== unknown.raw)
          fail(caller, `lookup of B's key: expected the unknown key's 404, got ${other.status} ${other.raw.slice(0, 200)} (unknown: ${unknown.raw.slice(0, 200)})`);
        leaks("the lookup of B's key", other.body);
        const own = await lookup(A.license.key);
        if (own.status !== 200 || own.body.id !== A.license.id) fail(caller, `lookup of A's key: ${own.status} ${own.raw.slice(0, 200)}`);
      }
      // A's own objects: readable where the role allows.
      for (const [url, permission] of [
        [`/v1/licenses/${A.license.id}`, 'licenses:read'],
        [`/v1/licenses/${A.license.id}/key`, 'licenses:reveal'],
        [`/v1/customers/${A.customer.id}`, 'customers:read'],
        [`/v1/users/${A.member.user.id}`, 'users:read'],
        [`/v1/products/${shared.product.id}`, 'products:read'],
        [`/v1/orders/${orderA.id}`, 'orders:read'],
        [`/v1/contracts/${contractA.id}`, 'contracts:read'],
      ] as [string, Permission][]) {
        const res = await get(url);
        const expected = perms.has(permission) ? 200 : 403;
        if (res.status !== expected) fail(caller, `GET ${url}: expected ${expected}, got ${res.status} ${res.raw.slice(0, 200)}`);
      }

      if (perms.has('events:read')) {
        const events = await readAll('/v1/events');
        if (events.length === 0) fail(caller, 'sees no events of its own organization');
        for (const e of events) if (e.customerId !== A.customer.id) fail(caller, `the event list holds ${e.id} (${e.action}) of ${e.customerId}`);
        leaks('the event list', events);
        leaks('events filtered by target', await readAll(`/v1/events?targetId=${B.license.id}`));
      }
      if (perms.has('orders:read')) {
        const list = await readAll('/v1/orders');
        if (!list.some((o) => o.id === orderA.id)) fail(caller, "A's order is missing from the order list");
        for (const o of list) if (o.customerId !== A.customer.id) fail(caller, `the order list holds ${o.id} of ${o.customerId}`);
        leaks('the order list', list);
        for (const filter of [`customerId=${B.customer.id}`, `licenseId=${orderB.items[0].licenseId}`, `externalId=${encodeURIComponent(orderB.externalId)}`]) {
          leaks(`the order list filtered by ${filter}`, await readAll(`/v1/orders?${filter}`));
        }
      }
      if (perms.has('contracts:read')) {
        const list = await readAll('/v1/contracts');
        if (!list.some((c) => c.id === contractA.id)) fail(caller, "A's contract is missing from the contract list");
        for (const c of list) if (c.customerId !== A.customer.id) fail(caller, `the contract list holds ${c.id} of ${c.customerId}`);
        leaks('the contract list filtered by B', await readAll(`/v1/contracts?customerId=${B.customer.id}`));
      }
      if (perms.has('users:read')) {
        const users = await readAll('/v1/users');
        for (const u of users) if (u.customerId !== A.customer.id) fail(caller, `the user list holds ${u.id} (${u.customerId ?? 'staff'})`);
        leaks('the user list', users);
        leaks('the user list filtered by B', await readAll(`/v1/users?customerId=${B.customer.id}`));
      }
      // Machines: A's listed, B's never, whatever the filter; B's cannot be deleted.
      const machines = await readAll('/v1/machines');
      if (!machines.some((m) => m.id === A.machine.id)) fail(caller, "A's machine is missing from the machine list");
      leaks('the machine list', machines);
      for (const filter of [
        `licenseId=${B.license.id}`,
        `licenseId=${shared.licenseB.id}`,
        `fingerprint=${encodeURIComponent(B.machine.fingerprint)}`,
        `fingerprint=${encodeURIComponent(shared.machineB.fingerprint)}`,
        `q=${encodeURIComponent('Org B')}`,
        `q=orgb`,
      ]) {
        const filtered = await readAll(`/v1/machines?${filter}`);
        if (filtered.length > 0 && filter.startsWith('licenseId')) fail(caller, `the machine list filtered by ${filter} holds ${filtered.length} machines`);
        leaks(`the machine list filtered by ${filter}`, filtered);
      }
      for (const id of [B.machine.id, shared.machineB.id]) {
        const res = await call(caller, { method: 'DELETE', url: `/v1/machines/${id}` });
        const expected = perms.has('machines:write') ? 404 : 403;
        if (res.status !== expected) fail(caller, `DELETE /v1/machines/${id}: expected ${expected}, got ${res.status} ${res.raw.slice(0, 200)}`);
      }

      const me = await get('/v1/auth/me');
      assert.equal(me.body.actor.customerId, A.customer.id);

      // Writes: refused on A's objects and on B's.
      const writes: Req[] = [
        { method: 'PATCH', url: `/v1/licenses/${A.license.id}`, body: { notes: 'x' } },
        { method: 'PATCH', url: `/v1/licenses/${B.license.id}`, body: { notes: 'x' } },
        { method: 'POST', url: `/v1/licenses/${B.license.id}/actions/revoke` },
        { method: 'POST', url: `/v1/licenses/${A.license.id}/actions/suspend` },
        { method: 'POST', url: '/v1/licenses', body: { policyId: A.policy.id, customerId: A.customer.id } },
        { method: 'POST', url: '/v1/licenses', body: { policyId: B.policy.id, customerId: B.customer.id, contractId: contractB.id } },
        { method: 'POST', url: '/v1/licenses', body: { policyId: A.policy.id, contractId: contractA.id, maxMachines: 1000 } },
        { method: 'PATCH', url: `/v1/contracts/${contractA.id}`, body: { quantity: 1000 } },
        { method: 'PATCH', url: `/v1/customers/${A.customer.id}`, body: { notes: 'x' } },
        { method: 'DELETE', url: `/v1/customers/${B.customer.id}` },
        { method: 'POST', url: '/v1/users', body: { email: `${unique('sneaky')}@example.com`, role: 'customer-admin', customerId: A.customer.id } },
        { method: 'PATCH', url: `/v1/users/${B.user.user.id}`, body: { disabled: true } },
        { method: 'POST', url: '/v1/tokens', body: { name: 'sneaky', role: 'customer-admin', customerId: A.customer.id } },
        { method: 'PATCH', url: `/v1/products/${A.product.id}`, body: { name: 'x' } },
      ];
      for (const w of writes) {
        const res = await call(caller, w);
        if (res.status !== 403 || res.body?.error?.code !== 'FORBIDDEN') fail(caller, `${w.method} ${w.url}: expected 403, got ${res.status} ${res.raw.slice(0, 200)}`);
      }
    }
    assert.equal(failures.length, 0, `${failures.length} problems:\n${failures.join('\n')}`);
    // Organization B's own view is the mirror image.
    const bView = client(t.app, B.token);
    const bLicenses = (await bView.get('/v1/licenses?limit=100')).body.data;
    assert.deepEqual(new Set(bLicenses.map((l: any) => l.id)), new Set([B.license.id, shared.licenseB.id, orderB.items[0].licenseId]));
    assert.deepEqual((await bView.get('/v1/orders')).body.data.map((o: any) => o.id), [orderB.id]);
    assert.equal((await bView.get(`/v1/orders/${orderA.id}`)).status, 404);
    assert.equal((await bView.get(`/v1/licenses/${A.license.id}`)).status, 404);
    // B's machines survived A's attempts to delete them, and B sees them (and not A's).
    const bMachines = (await bView.get('/v1/machines?limit=100')).body.data;
    assert.deepEqual(new Set(bMachines.map((m: any) => m.id)), new Set([B.machine.id, shared.machineB.id]));
    assert.equal((await bView.delete(`/v1/machines/${A.machine.id}`)).status, 404);
  });

  test("a partner sees its own customers and its groups' products only: partner Q's organization B never", async () => {
    const partnerCallers = callers.filter(isPartnerCaller);
    assert.equal(partnerCallers.length, 2);
    const orderA = await orderOf(A);
    const orderB = await orderOf(B);
    const bIds = [orderB.id, B.customer.id, B.product.id, B.policy.id, B.license.id, B.user.user.id, shared.licenseB.id, B.machine.id, shared.machineB.id, Q.partner.id];
    const failures: string[] = [];
    for (const caller of partnerCallers) {
      const fail = (message: string) => failures.push(`${caller.name}: ${message}`);
      const get = (url: string) => call(caller, { method: 'GET', url });
      const leaks = (what: string, value: unknown) => {
        const text = JSON.stringify(value);
        for (const id of bIds) if (text.includes(id)) fail(`${what} mentions organization B's ${id}`);
        if (text.includes('org B only')) fail(`${what} shows organization B's notes`);
      };
      const list = async (url: string) => {
        const res = await get(`${url}${url.includes('?') ? '&' : '?'}limit=100`);
        if (res.status !== 200) fail(`GET ${url}: ${res.status} ${res.raw.slice(0, 200)}`);
        leaks(`GET ${url}`, res.body);
        return (res.body?.data ?? []) as any[];
      };
      const customers = await list('/v1/customers');
      for (const c of customers) if (c.partnerId !== P.partner.id) fail(`the customer list holds ${c.id} of partner ${c.partnerId}`);
      if (!customers.some((c) => c.id === A.customer.id)) fail("its customer A is missing");
      for (const l of await list('/v1/licenses')) if (l.customerId !== A.customer.id && l.soldBy !== P.partner.id) fail(`the license list holds ${l.id}`);
      for (const filter of [`customerId=${B.customer.id}`, `productId=${B.product.id}`, `q=${encodeURIComponent(B.license.name)}`]) await list(`/v1/licenses?${filter}`);
      const products = (await list('/v1/products')).map((p) => p.id);
      assert.deepEqual(new Set(products), new Set([A.product.id, shared.product.id]), caller.name);
      const orders = await list('/v1/orders');
      if (!orders.some((o) => o.id === orderA.id)) fail("A's order is missing");
      await list(`/v1/orders?customerId=${B.customer.id}`);
      await list('/v1/machines');
      await list(`/v1/machines?licenseId=${shared.licenseB.id}`);
      await list('/v1/trials');
      await list('/v1/renewals');
      await list('/v1/events');
      await list('/v1/product-groups');
      const partners = await list('/v1/partners');
      if (JSON.stringify(partners.map((p) => p.id)) !== JSON.stringify([P.partner.id])) fail(`the partner list holds ${partners.map((p) => p.id).join(', ')}`);
      leaks('the overview', (await get('/v1/stats/overview')).body);
      if (ROLE_PERMISSIONS[caller.role!].has('reports:read')) {
        // Partner reports: its own partner only, whatever it asks for.
        for (const url of ['/v1/reports/partners/active-subscriptions?day=2026-03-01', '/v1/reports/partners/activity?from=2026-01-01&to=2026-12-31']) {
          const res = await get(url);
          if (res.status !== 200) fail(`GET ${url}: ${res.status} ${res.raw.slice(0, 200)}`);
          leaks(`GET ${url}`, res.body);
          if (JSON.stringify(res.body.partners.map((x: any) => x.partnerId)) !== JSON.stringify([P.partner.id])) fail(`GET ${url}: partners ${res.raw.slice(0, 200)}`);
          const other = await get(`${url}&partnerId=${Q.partner.id}`);
          if (other.status !== 404) fail(`GET ${url} for partner Q: expected 404, got ${other.status}`);
        }
      }
      if (ROLE_PERMISSIONS[caller.role!].has('users:read')) for (const u of await list('/v1/users')) if (u.partnerId !== P.partner.id) fail(`the user list holds ${u.id}`);
      for (const url of [
        `/v1/licenses/${B.license.id}`,
        `/v1/licenses/${shared.licenseB.id}`,
        `/v1/licenses/${B.license.id}/events`,
        `/v1/customers/${B.customer.id}`,
        `/v1/products/${B.product.id}`,
        `/v1/policies/${B.policy.id}`,
        `/v1/orders/${orderB.id}`,
        `/v1/product-groups/${Q.group.id}`,
        `/v1/partners/${Q.partner.id}`,
      ]) {
        const res = await get(url);
        if (res.status !== 404 && res.status !== 403) fail(`GET ${url}: expected 404, got ${res.status} ${res.raw.slice(0, 200)}`);
        if (res.status < 400) leaks(`GET ${url}`, res.body);
      }
      // Writes on B's objects: as if they did not exist (or refused by the role).
      for (const w of [
        { method: 'PATCH', url: `/v1/licenses/${B.license.id}`, body: { notes: 'x' } },
        { method: 'POST', url: `/v1/licenses/${shared.licenseB.id}/actions/revoke` },
        { method: 'POST', url: `/v1/licenses/${B.license.id}/actions/reinstate` },
        { method: 'PATCH', url: `/v1/customers/${B.customer.id}`, body: { name: 'x' } },
        { method: 'DELETE', url: `/v1/machines/${shared.machineB.id}` },
        { method: 'POST', url: '/v1/licenses', body: { policyId: B.policy.id, customerId: A.customer.id } },
        { method: 'POST', url: '/v1/licenses', body: { policyId: A.policy.id, customerId: B.customer.id } },
        { method: 'PATCH', url: `/v1/users/${B.user.user.id}`, body: { disabled: true } },
        { method: 'PATCH', url: `/v1/customers/${A.customer.id}`, body: { partnerId: Q.partner.id } },
        { method: 'POST', url: '/v1/customers', body: { name: 'Sneaky', email: `${unique('sneaky')}@example.com`, partnerId: Q.partner.id } },
      ] as Req[]) {
        const res = await call(caller, w);
        if (res.status !== 404 && res.status !== 403) fail(`${w.method} ${w.url}: expected 404 or 403, got ${res.status} ${res.raw.slice(0, 200)}`);
      }
    }
    assert.equal(failures.length, 0, `${failures.length} problems:\n${failures.join('\n')}`);
    // B's records survived: still Q's, still live.
    assert.equal((await api.get(`/v1/customers/${B.customer.id}`)).body.partnerId, Q.partner.id);
    assert.equal((await api.get(`/v1/licenses/${shared.licenseB.id}`)).body.status, 'active');
  });

  test('staff see every organization', async () => {
    for (const caller of callers.filter((c) => c.role !== null && c.kind !== 'none' && ROLE_PERMISSIONS[c.role].has('licenses:read') && isStaffRole(c.role))) {
      const res = await call(caller, { method: 'GET', url: `/v1/licenses/${B.license.id}` });
      assert.equal(res.status, 200, caller.name);
      const customers = await call(caller, { method: 'GET', url: '/v1/customers?limit=100' });
      const ids = customers.body.data.map((c: any) => c.id);
      assert.ok(ids.includes(A.customer.id) && ids.includes(B.customer.id), caller.name);
    }
  });
});
