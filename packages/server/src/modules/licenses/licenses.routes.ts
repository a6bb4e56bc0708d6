import Type, { type TSchema } from 'typebox';
import { commonErrors, IdParams, ListQuery, Page } from '../../http/schemas.js';
import { sendCsvExport } from '../../http/csv-reply.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { EventSchema } from '../events/events.schemas.js';
import {
  AddSeatsBody,
  AllocateLicenseBody,
  ChangePolicyBody,
  FeaturesBody,
  CreatedLicenseSchema,
  CreateLicenseBody,
  ExportLicensesQuery,
  ExtendLicenseBody,
  LicenseSchema,
  ListLicensesQuery,
  LookupLicenseBody,
  UpdateLicenseBody,
} from './licenses.schemas.js';

/** Staff (and customer read-only) license operations. */
export function licenseRoutes(app: App, { licenses, events, subscriptions, licenseKeyMail }: Services): void {
  app.post(
    '/v1/licenses',
    {
      schema: {
        operationId: 'createLicense',
        summary: 'Create a license',
        tags: ['licenses'],
        description: "Issue a license from a policy, optionally drawn from a contract (contractId). Customer admins: only from their organization's contract, for their organization, on the policy's terms (else 403 FORBIDDEN).",
        body: CreateLicenseBody,
        response: { 201: CreatedLicenseSchema, ...commonErrors },
      },
      config: { access: { permission: 'licenses:create' } },
    },
    async (request, reply) => {
      const { license, key } = await licenses.create(ctx(request), request.body);
      return reply.status(201).send({ ...license, key });
    },
  );

  app.get(
    '/v1/licenses',
    {
      schema: { operationId: 'listLicenses', summary: 'List licenses', tags: ['licenses'], querystring: ListLicensesQuery, response: { 200: Page(LicenseSchema), ...commonErrors } },
      config: { access: { permission: 'licenses:read' } },
    },
    async (request) => licenses.list(ctx(request), { ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/licenses/export',
    {
      schema: {
        operationId: 'exportLicenses',
        summary: 'Export licenses as CSV',
        tags: ['licenses'],
        description:
          'The licenses of listLicenses (the same filters and scope: a customer admin its organization, a partner its own) as CSV for ERP import: a header row, one line per license, newest first, ISO-8601 UTC times, prices in major units. Streamed page by page, so any number of rows; an error after the download started cuts it short. No key material (the key\'s last group only).',
        querystring: ExportLicensesQuery,
        produces: ['text/csv'],
        response: { 200: Type.String({ description: 'text/csv' }), ...commonErrors },
      },
      config: { access: { permission: 'licenses:read' } },
    },
    async (request, reply) => sendCsvExport(reply, licenses.exportCsv(ctx(request), request.query)),
  );

  app.post(
    '/v1/licenses/lookup',
    {
      schema: {
        operationId: 'lookupLicense',
        summary: 'Look up a license by its key',
        tags: ['licenses'],
        description: 'Find a license by its full key (support desks: a customer reads the key out). The key travels in the body, never in the URL (URLs are logged).',
        body: LookupLicenseBody,
        response: { 200: LicenseSchema, ...commonErrors },
      },
      config: { access: { permission: 'licenses:read' } },
    },
    async (request) => licenses.getByKey(ctx(request), request.body.key),
  );

  app.get(
    '/v1/licenses/:id',
    {
      schema: { operationId: 'getLicense', summary: 'Get a license', tags: ['licenses'], params: IdParams, response: { 200: LicenseSchema, ...commonErrors } },
      config: { access: { permission: 'licenses:read' } },
    },
    async (request) => licenses.get(ctx(request), request.params.id),
  );

  app.patch(
    '/v1/licenses/:id',
    {
      schema: { operationId: 'updateLicense', summary: 'Update a license', tags: ['licenses'], params: IdParams, body: UpdateLicenseBody, response: { 200: LicenseSchema, ...commonErrors } },
      config: { access: { permission: 'licenses:write' } },
    },
    async (request) => licenses.update(ctx(request), request.params.id, request.body),
  );

  app.get(
    '/v1/licenses/:id/key',
    {
      schema: {
        operationId: 'revealLicenseKey',
        summary: "Reveal a license's key",
        tags: ['licenses'],
        params: IdParams,
        response: { 200: Type.Object({ id: Type.String(), key: Type.String() }), ...commonErrors },
      },
      config: { access: { permission: 'licenses:reveal' } },
    },
    async (request) => licenses.revealKey(ctx(request), request.params.id),
  );

  app.get(
    '/v1/licenses/:id/events',
    {
      schema: {
        operationId: 'listLicenseEvents',
        summary: "List a license's events",
        tags: ['licenses'],
        description: "The license's history: every change, newest first.",
        params: IdParams,
        querystring: ListQuery,
        response: { 200: Page(EventSchema), ...commonErrors },
      },
      config: { access: { permission: 'licenses:read' } },
    },
    async (request) => {
      const license = await licenses.get(ctx(request), request.params.id);
      return events.list(ctx(request), { targetType: 'license', targetId: license.id, limit: request.query.limit ?? 25, cursor: request.query.cursor });
    },
  );

  app.post(
    '/v1/licenses/:id/allocation',
    {
      schema: {
        operationId: 'allocateLicense',
        summary: 'Allocate a license to the organization, a group or a user',
        tags: ['licenses'],
        description:
          "Staff and the organization's customer admins allocate any of its tickets; an admin of the group a ticket is allocated to allocates it within the group (to a member, or back to the group): else 403. A group or user outside the license's organization: 422. Recorded as license.allocated.",
        params: IdParams,
        body: AllocateLicenseBody,
        response: { 200: LicenseSchema, ...commonErrors },
      },
      config: { access: { permission: 'licenses:allocate' } },
    },
    async (request) => licenses.allocate(ctx(request), request.params.id, request.body),
  );

  const actions = [
    ['suspend', 'suspendLicense', 'Suspend a license', 'licenses:lifecycle', 'Suspend: validation answers SUSPENDED until reinstated.'],
    ['reinstate', 'reinstateLicense', 'Reinstate a suspended license', 'licenses:lifecycle', 'Lift a suspension.'],
    ['revoke', 'revokeLicense', 'Revoke a license', 'licenses:revoke', 'Revoke immediately and for good (a subscription stops renewing too).'],
  ] as const;
  for (const [action, operationId, summary, permission, description] of actions) {
    app.post(
      `/v1/licenses/:id/actions/${action}`,
      {
        schema: { operationId, summary, tags: ['licenses'], description, params: IdParams, response: { 200: LicenseSchema, ...commonErrors } },
        config: { access: { permission } },
      },
      async (request) => licenses[action](ctx(request), request.params.id),
    );
  }

  app.post(
    '/v1/licenses/:id/actions/send-key',
    {
      schema: {
        operationId: 'sendLicenseKey',
        summary: 'Mail a license key to its customer',
        tags: ['licenses'],
        description: "Mail the key to the license's customer (the license.issued mail, as orders send it); audited as license.key_mailed without the key. 422 NO_RECIPIENT without a customer address.",
        params: IdParams,
        response: { 202: Type.Object({ mailId: Type.String(), to: Type.String() }), ...commonErrors },
      },
      config: { access: { permission: 'licenses:lifecycle', staffOnly: true } },
    },
    async (request, reply) => reply.status(202).send(await licenseKeyMail.send(ctx(request), request.params.id)),
  );

  app.post(
    '/v1/licenses/:id/actions/renew',
    {
      schema: {
        operationId: 'renewLicense',
        summary: 'Renew a license for one term',
        tags: ['licenses'],
        description: "Add one term of the policy's duration; a subscription renews one term and records the renewal (see renewSubscription).",
        params: IdParams,
        response: { 200: LicenseSchema, ...commonErrors },
      },
      config: { access: { permission: 'licenses:lifecycle' } },
    },
    async (request) => subscriptions.renewLicense(ctx(request), request.params.id),
  );

  // Upgrades: each one change with its own event in the license's history.
  const upgrade = <B extends TSchema>(operationId: string, summary: string, description: string, body: B) => ({
    schema: { operationId, summary, tags: ['licenses'], description, params: IdParams, body, response: { 200: LicenseSchema, ...commonErrors } },
    config: { access: { permission: 'licenses:write' as const } },
  });
  app.post(
    '/v1/licenses/:id/actions/add-features',
    upgrade('addLicenseFeatures', 'Add features to a license', 'Upgrade: add features (modules); those the license has already stay as they are.', FeaturesBody),
    async (request) => licenses.addFeatures(ctx(request), request.params.id, request.body.features),
  );
  app.post(
    '/v1/licenses/:id/actions/remove-features',
    upgrade('removeLicenseFeatures', 'Remove features from a license', 'Remove features; 422 FEATURES_MISSING names any the license does not have.', FeaturesBody),
    async (request) => licenses.removeFeatures(ctx(request), request.params.id, request.body.features),
  );
  app.post(
    '/v1/licenses/:id/actions/add-seats',
    upgrade('addLicenseSeats', 'Add seats to a license', 'A seat pack: maxMachines grows by `seats` (422 SEATS_UNLIMITED when the license has no limit).', AddSeatsBody),
    async (request) => licenses.addSeats(ctx(request), request.params.id, request.body.seats),
  );
  app.post(
    '/v1/licenses/:id/actions/change-policy',
    upgrade(
      'changeLicensePolicy',
      'Move a license to another policy',
      "Move the license to another policy of its product (upgrade, downgrade): it takes the policy's terms and keeps its key, customer and history; keepExpiry false starts a new term now. 422 POLICY_PRODUCT_MISMATCH for another product's policy.",
      ChangePolicyBody,
    ),
    async (request) => licenses.changePolicy(ctx(request), request.params.id, request.body),
  );

  app.post(
    '/v1/licenses/:id/actions/extend',
    {
      schema: {
        operationId: 'extendLicense',
        summary: "Extend a license's expiry",
        tags: ['licenses'],
        description: 'Move the expiry N days later (from now, if it has passed).',
        params: IdParams,
        body: ExtendLicenseBody,
        response: { 200: LicenseSchema, ...commonErrors },
      },
      config: { access: { permission: 'licenses:lifecycle' } },
    },
    async (request) => licenses.extend(ctx(request), request.params.id, request.body.days),
  );
}
