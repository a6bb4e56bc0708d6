import { randomBytes } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { sql } from 'kysely';
import Type from 'typebox';
import { registerAccessLayer } from './http/auth.js';
import { AppError, registerErrorHandling, sendFrameworkError } from './http/errors.js';
import { withSecretRedaction } from './http/logging.js';
import { ErrorBody } from './http/schemas.js';
import { registerSecurityHeaders, setSecurityHeaders } from './http/security-headers.js';
import { registerResponseSigning } from './http/signing.js';
import type { App } from './http/types.js';
import { registerSchemaValidation } from './http/validation.js';
import { registerWebApp } from './http/web.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { contractRoutes } from './modules/contracts/contracts.routes.js';
import { customerRoutes } from './modules/customers/customers.routes.js';
import { customerGroupRoutes } from './modules/customer-groups/customer-groups.routes.js';
import { eventRoutes } from './modules/events/events.routes.js';
import { jobRoutes } from './modules/jobs/jobs.routes.js';
import { mailRoutes } from './modules/mail/mail.routes.js';
import { passwordRoutes } from './modules/passwords/passwords.routes.js';
import type { WorkerOptions } from './modules/jobs/worker.js';
import { clientRoutes } from './modules/validation/client.routes.js';
import { validationRoutes } from './modules/validation/validation.routes.js';
import { licenseRoutes } from './modules/licenses/licenses.routes.js';
import { subscriptionRoutes } from './modules/subscriptions/subscriptions.routes.js';
import { noticeRoutes } from './modules/notifications/notices.routes.js';
import { trialRoutes } from './modules/trials/trials.routes.js';
import { machineRoutes } from './modules/machines/machines.routes.js';
import { offlineRoutes } from './modules/offline/offline.routes.js';
import { orderRoutes, stripeRoutes } from './modules/orders/orders.routes.js';
import { policyRoutes } from './modules/policies/policies.routes.js';
import { usageRoutes } from './modules/usage/usage.routes.js';
import { productRoutes } from './modules/products/products.routes.js';
import { productGroupRoutes } from './modules/product-groups/product-groups.routes.js';
import { partnerRoutes } from './modules/partners/partners.routes.js';
import { releaseRoutes } from './modules/releases/releases.routes.js';
import { updateRoutes } from './modules/updates/updates.routes.js';
import { statsRoutes } from './modules/stats/stats.routes.js';
import { partnerReportRoutes } from './modules/partner-reports/partner-reports.routes.js';
import { faqRoutes } from './modules/faq/faq.routes.js';
import { settingsRoutes } from './modules/settings/settings.routes.js';
import { retentionRoutes } from './modules/retention/retention.routes.js';
import { artifactRoutes } from './modules/artifacts/artifacts.routes.js';
import { announcementRoutes } from './modules/announcements/announcements.routes.js';
import { userRoutes } from './modules/users/users.routes.js';
import { webhookRoutes } from './modules/webhooks/webhooks.routes.js';
import { createServices, type Deps, type Services } from './services.js';

export const VERSION = '0.1.0';

/**
 * Request ids unique across processes and restarts without a CSPRNG call per request: a random
 * per-process prefix and a counter.
 */
function requestIds(): () => string {
  const prefix = 'req_' + randomBytes(6).toString('base64url') + '_';
  let counter = 0;
  return () => prefix + (counter++).toString(36);
}

/**
 * The document's tag list: Redocly's operation-tag-defined rule wants every tag an operation uses declared
 * here, and the docs UI shows the groups in this order (openapi.test.ts checks both).
 */
const OPENAPI_TAGS = [
  { name: 'client', description: 'Called by licensed applications with a license key; answers are signed' },
  { name: 'licenses', description: 'Licenses, their keys, lifecycle actions and upgrades' },
  { name: 'subscriptions', description: 'Recurring licenses and their renewals' },
  { name: 'trials', description: 'Trial sign-up, extension and conversion' },
  { name: 'machines', description: 'Activated machines, license users and offline license files' },
  { name: 'products', description: 'Products' },
  { name: 'product-groups', description: 'Product groups: the sets of products partner rights and contracts are granted on' },
  { name: 'partners', description: 'Partners (resellers, distributors) and their rights per product group' },
  { name: 'policies', description: 'Policies: the templates licenses are issued from' },
  { name: 'customers', description: 'Customers' },
  { name: 'customer groups', description: "Groups of a customer organization's people (departments), which tickets are allocated to" },
  { name: 'orders', description: 'Orders that issue licenses' },
  { name: 'contracts', description: 'License packs and volume contracts: quotas licenses draw from' },
  { name: 'integrations', description: 'Inbound webhooks from payment providers' },
  { name: 'releases', description: 'Releases, artifacts, downloads, announcements and retention' },
  { name: 'mail', description: 'Mail templates, outbox and mail preferences' },
  { name: 'settings', description: 'Server settings and FAQ entries' },
  { name: 'webhooks', description: 'Outbound webhook endpoints and their deliveries' },
  { name: 'users', description: 'Staff and customer users' },
  { name: 'auth', description: 'Sign-in, sessions and passwords' },
  { name: 'tokens', description: 'API tokens' },
  { name: 'events', description: 'The audit log' },
  { name: 'validations', description: 'The validation log: every client validation, read per license and customer' },
  { name: 'jobs', description: 'Background jobs and their schedules' },
  { name: 'reports', description: 'Dashboard statistics' },
  { name: 'meta', description: 'Health of the server' },
];

/**
 * What the document adds to a route's own schema (the served routes are unchanged). A signed client
 * operation refuses a malformed `Keyhaven-Nonce` header with a 400 before its handler runs
 * (http/signing.ts), so the document lists that 400 even where the route declares no error of its own.
 */
const documentRoute: SwaggerTransform = ({ schema, url, route }) => {
  const response = schema?.response as Record<string, unknown> | undefined;
  if (route.config?.signed !== true || !response || '400' in response) return { schema, url };
  return { schema: { ...schema, response: { ...response, 400: ErrorBody } }, url };
};

export interface BuildOptions {
  /** Pino options (or false); secret query parameters and path segments are always redacted (http/logging.ts). */
  logger?: FastifyServerOptions['logger'];
  worker?: WorkerOptions;
  /** The built web app (packages/web/dist by default); a missing directory serves a "not built" page. */
  webDir?: string;
}

/** Builds the HTTP application: used by `keyhaven serve` and by every test (with `inject`). */
export async function buildApp(deps: Deps, options: BuildOptions = {}): Promise<{ app: App; services: Services }> {
  const { config } = deps;
  const app = Fastify({
    logger: withSecretRedaction(options.logger ?? false),
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    genReqId: requestIds(),
    requestIdHeader: false,
    ajv: { customOptions: { removeAdditional: false } },
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
    frameworkErrors: (error, request, reply) => {
      setSecurityHeaders(request, reply);
      sendFrameworkError(error, reply);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const services = createServices(
    deps,
    (error) => app.log.error({ err: error }, 'validation log write failed; will retry'),
    options.worker,
    (error, message) => app.log.error({ err: error }, message),
  );

  registerErrorHandling(app);
  registerSecurityHeaders(app);
  registerSchemaValidation(app);

  // Before any plugin adds routes, so that every route, the documentation's included, passes the check.
  registerAccessLayer(app, services.auth);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keyhaven API',
        version: VERSION,
        // The root package.json's license field: the server is not published under an open license, so
        // the SPDX identifier is a LicenseRef (SPDX's form for a license not on its list).
        license: { name: 'UNLICENSED', identifier: 'LicenseRef-Proprietary' },
        description:
          'License management and software distribution. Client operations (tag `client`) take the license key in the body and return signed answers (Keyhaven-Signature over Date, method and path, status, the request nonce and the body digest; the nonce is the Keyhaven-Nonce request header when sent, else the body `nonce`, and JSON answers echo it); every other operation takes `Authorization: Bearer <token>`.',
      },
      servers: [{ url: config.publicUrl, description: 'This server (KEYHAVEN_PUBLIC_URL)' }],
      tags: OPENAPI_TAGS,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: documentRoute,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new AppError('RATE_LIMITED', `Too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`, { retryAfterSeconds: Math.ceil(context.ttl / 1000) }),
  });

  registerResponseSigning(app, deps.signer, deps.clock);

  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Check server and database health',
        tags: ['meta'],
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok'), database: Type.String(), version: Type.String() }), 503: ErrorBody },
      },
      config: { access: { public: true } },
    },
    async () => {
      try {
        await sql`select 1`.execute(deps.database.db);
      } catch {
        throw new AppError('UNAVAILABLE', 'The database does not answer');
      }
      return { status: 'ok' as const, database: deps.database.dialect, version: VERSION };
    },
  );

  app.get('/openapi.json', { schema: { hide: true }, config: { access: { public: true } } }, async () => app.swagger());

  productRoutes(app, services);
  productGroupRoutes(app, services);
  partnerRoutes(app, services);
  policyRoutes(app, services);
  customerRoutes(app, services);
  customerGroupRoutes(app, services);
  userRoutes(app, services);
  authRoutes(app, services, { signInRateLimit: config.signInRateLimit });
  licenseRoutes(app, services);
  subscriptionRoutes(app, services);
  noticeRoutes(app, services, { rateLimit: config.clientRateLimit });
  trialRoutes(app, services, { signUpRateLimit: config.trialRateLimit });
  clientRoutes(app, services, { rateLimit: config.clientRateLimit, countryHeader: config.countryHeader });
  machineRoutes(app, services, { rateLimit: config.clientRateLimit });
  offlineRoutes(app, services, { rateLimit: config.clientRateLimit });
  usageRoutes(app, services, { rateLimit: config.clientRateLimit });
  releaseRoutes(app, services);
  updateRoutes(app, services, { rateLimit: config.clientRateLimit });
  statsRoutes(app, services);
  partnerReportRoutes(app, services);
  faqRoutes(app, services);
  settingsRoutes(app, services);
  artifactRoutes(app, services, { rateLimit: config.clientRateLimit, maxBytes: config.artifactMaxBytes });
  announcementRoutes(app, services);
  retentionRoutes(app, services);
  eventRoutes(app, services);
  validationRoutes(app, services);
  jobRoutes(app, services);
  webhookRoutes(app, services);
  mailRoutes(app, services);
  passwordRoutes(app, services, { rateLimit: config.passwordResetRateLimit });
  orderRoutes(app, services);
  contractRoutes(app, services);
  stripeRoutes(app, services);
  await registerWebApp(app, options.webDir);

  app.addHook('onClose', async () => {
    await services.worker.stop();
    await services.validationLog.close();
  });

  return { app, services };
}
