import Type from 'typebox';
import { commonErrors, ErrorBody, Id, IdParams, Nullable, Page, StringEnum, Timestamp } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { CreatedLicenseSchema, LicenseSchema } from '../licenses/licenses.schemas.js';

const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
const Days = Type.Integer({ minimum: 1, maximum: 3650, description: "One of the product's trialDurations" });

const TrialSchema = Type.Object({
  id: Type.String(),
  productId: Type.String(),
  licenseId: Type.String(),
  customerId: Nullable(Type.String()),
  email: Nullable(Type.String()),
  source: StringEnum(['signup', 'staff'] as const),
  days: Type.Integer({ description: 'Days granted so far (first term plus extensions)' }),
  machineBound: Type.Boolean({ description: 'A machine fingerprint is on record for it (one trial per machine)' }),
  convertedAt: Nullable(Type.String({ format: 'date-time' })),
  convertedPolicyId: Nullable(Type.String()),
  createdAt: Timestamp,
});

const CreateTrialBody = Type.Object(
  {
    productId: Id,
    customerId: Type.Optional(Id),
    email: Type.Optional(Email),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Name of a customer created for the e-mail address' })),
    days: Type.Optional(Days),
    policyId: Type.Optional(Id),
    sendEmail: Type.Optional(Type.Boolean({ description: 'Mail the key to the customer (trial.started); default true' })),
  },
  { additionalProperties: false },
);

const SignUpBody = Type.Object(
  {
    product: Type.String({ minLength: 1, maxLength: 64, description: 'The product id or code (as validateLicense takes it)' }),
    email: Email,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    fingerprint: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'The machine the trial is for (one trial per machine)' })),
  },
  { additionalProperties: false },
);

const SignUpResponse = Type.Object({
  status: Type.Literal('accepted'),
  message: Type.String(),
  product: Type.String(),
  days: Type.Integer(),
});

const ExtendTrialBody = Type.Object({ days: Type.Optional(Days) }, { additionalProperties: false });
const ConvertTrialBody = Type.Object(
  {
    policyId: Id,
    keepExpiry: Type.Optional(Type.Boolean({ description: "true: keep the trial's expiry; default false: the paid term starts now" })),
    contractId: Type.Optional(
      Type.String({
        ...Id,
        description:
          'Draw the paid license from this contract (license pack, volume contract), as createLicense does: 422 QUOTA_EXHAUSTED when it is used up, CONTRACT_ENDED when it ended or was cancelled, CONTRACT_MISMATCH when it does not cover the policy or the customer.',
      }),
    ),
  },
  { additionalProperties: false },
);
const ListTrialsQuery = Type.Object(
  {
    productId: Type.Optional(Id),
    customerId: Type.Optional(Id),
    source: Type.Optional(StringEnum(['signup', 'staff'] as const)),
    converted: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Id),
  },
  { additionalProperties: false },
);

/** Trials: public sign-up, staff one-click create/extend, conversion to paid, the trials list. */
export function trialRoutes(app: App, { trials }: Services, options: { signUpRateLimit: number }): void {
  app.post(
    '/v1/trials',
    {
      schema: {
        operationId: 'signUpForTrial',
        summary: 'Sign up for a trial',
        tags: ['trials'],
        security: [],
        description:
          "Public trial sign-up (products with publicTrials): the trial key is e-mailed to the address with a link to set a portal password. 202 whether or not the address was known; 422 TRIAL_ALREADY_USED when the address or the machine already had a trial of the product. Rate-limited per IP (KEYHAVEN_TRIAL_RATE_LIMIT per hour).",
        body: SignUpBody,
        response: { 202: SignUpResponse, 400: ErrorBody, 404: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
      config: { access: { public: true }, rateLimit: { max: options.signUpRateLimit, timeWindow: 3_600_000 } },
    },
    async (request, reply) => {
      const result = await trials.signUp(request.body, { ip: request.ip, requestId: request.id });
      return reply.status(202).send({
        status: 'accepted' as const,
        message: `Check ${result.email}: the trial key and a link to the customer portal are on their way.`,
        product: result.product,
        days: result.days,
      });
    },
  );

  app.post(
    '/v1/licenses/trials',
    {
      schema: {
        operationId: 'createTrial',
        summary: 'Create a trial license',
        tags: ['trials'],
        description:
          "Staff one-click trial for a customer (customerId) or an e-mail address (customer found or created), or for nobody in particular: days is one of the product's trialDurations (default its trialPreset). The key is in the answer and mailed to the customer unless sendEmail is false. A partner needs the trials:create right on the product (403 FORBIDDEN naming it).",
        body: CreateTrialBody,
        response: { 201: Type.Object({ ...CreatedLicenseSchema.properties, trial: TrialSchema }), ...commonErrors },
      },
      config: { access: { permission: 'trials:write' } },
    },
    async (request, reply) => {
      const { license, key, trial } = await trials.create(ctx(request), request.body);
      return reply.status(201).send({ ...license, key, trial });
    },
  );

  app.post(
    '/v1/licenses/:id/actions/extend-trial',
    {
      schema: {
        operationId: 'extendTrial',
        summary: 'Extend a trial',
        tags: ['trials'],
        description: "One-click extension by one of the product's trial lengths (default its preset), from the current end (or from now if it has passed). A partner needs trials:create on the product.",
        params: IdParams,
        body: ExtendTrialBody,
        response: { 200: LicenseSchema, ...commonErrors },
      },
      config: { access: { permission: 'licenses:lifecycle' } },
    },
    async (request) => trials.extend(ctx(request), request.params.id, request.body.days),
  );

  app.post(
    '/v1/licenses/:id/actions/convert-trial',
    {
      schema: {
        operationId: 'convertTrial',
        summary: 'Convert a trial to a paid license',
        tags: ['trials'],
        description:
          'The trial becomes a paid license of the same product: it moves to the paid policy (a new term from now unless keepExpiry) and keeps its key; with contractId it is drawn from that contract. A partner needs trials:create and licenses:create on the product.',
        params: IdParams,
        body: ConvertTrialBody,
        response: { 200: LicenseSchema, ...commonErrors },
      },
      config: { access: { permission: 'trials:write' } },
    },
    async (request) => trials.convert(ctx(request), request.params.id, request.body),
  );

  app.get(
    '/v1/trials',
    {
      schema: {
        operationId: 'listTrials',
        summary: 'List trial licenses',
        tags: ['trials'],
        description: 'Trials, newest first (conversion reports: converted=true|false).',
        querystring: ListTrialsQuery,
        response: { 200: Page(TrialSchema), ...commonErrors },
      },
      config: { access: { permission: 'licenses:read' } },
    },
    async (request) => trials.list(ctx(request), { ...request.query, limit: request.query.limit ?? 25 }),
  );
}
