import Type from 'typebox';
import { commonErrors, ErrorBody, Id, IdParams, NoContent, Nullable, Page } from '../../http/schemas.js';
import { sendCsvExport } from '../../http/csv-reply.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { ActivateBody, ActivateResponse, ExportMachinesQuery, HeartbeatResponse, ListMachinesQuery, MachineKeyBody, LicenseUserSchema, MachineSchema, SignedInActivateBody } from './machines.schemas.js';

const clientErrors = { 400: ErrorBody, 404: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody };

/** Client operations on seats (signed answers, key as credential) and the staff/customer views of machines. */
export function machineRoutes(app: App, { machines, seats, licenseUsers }: Services, options: { rateLimit: number }): void {
  const client = { access: { public: true } as const, signed: true, rateLimit: { max: options.rateLimit, timeWindow: 60_000 } };

  app.post(
    '/v1/machines/activate',
    {
      schema: {
        operationId: 'activateMachine',
        summary: 'Activate a machine with a license key',
        tags: ['client'],
        security: [],
        description: '201 for a new activation, 200 when the fingerprint is already active; 422 TOO_MANY_MACHINES when every seat is taken.',
        body: ActivateBody,
        response: { 200: ActivateResponse, 201: ActivateResponse, ...clientErrors },
      },
      config: client,
    },
    async (request, reply) => {
      const { nonce: _nonce, ...input } = request.body;
      const { machine, license, created, overdraft } = await seats.activate(input, { ip: request.ip, requestId: request.id });
      return reply.status(created ? 201 : 200).send({ machine, license, ...(overdraft ? { warning: 'OVERDRAFT' as const } : {}) });
    },
  );

  app.post(
    '/v1/licenses/:id/machines',
    {
      schema: {
        operationId: 'activateLicenseMachine',
        summary: 'Activate a machine on a license',
        tags: ['machines'],
        description:
          'Activation without a key: a signed-in customer (or a customer API token) picks one of its licenses (GET /v1/licenses?productId=) and activates this machine. Same seat rules and answers as activateMachine; the answer is signed.',
        params: IdParams,
        body: SignedInActivateBody,
        response: { 200: ActivateResponse, 201: ActivateResponse, ...commonErrors },
      },
      config: { access: { permission: 'machines:activate' }, signed: true },
    },
    async (request, reply) => {
      const { nonce: _nonce, ...input } = request.body;
      const { machine, license, created, overdraft } = await seats.activateSignedIn(ctx(request), request.params.id, input);
      return reply.status(created ? 201 : 200).send({ machine, license, ...(overdraft ? { warning: 'OVERDRAFT' as const } : {}) });
    },
  );

  app.post(
    '/v1/machines/deactivate',
    {
      schema: {
        operationId: 'deactivateMachine',
        summary: 'Deactivate a machine with a license key',
        tags: ['client'],
        security: [],
        description: '422 SEAT_BORROWED while an offline license file for this machine is out: check it in first (checkinLicenseFile).',
        body: MachineKeyBody,
        response: { 204: NoContent, ...clientErrors },
      },
      config: client,
    },
    async (request, reply) => {
      await seats.deactivate(request.body.key, request.body.fingerprint, { ip: request.ip, requestId: request.id });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/machines/heartbeat',
    {
      schema: {
        operationId: 'heartbeatMachine',
        summary: 'Send a machine heartbeat',
        tags: ['client'],
        security: [],
        description: 'Renews a floating lease; 422 HEARTBEAT_DEAD once it has lapsed (the seat was freed).',
        body: MachineKeyBody,
        response: { 200: HeartbeatResponse, ...clientErrors },
      },
      config: client,
    },
    async (request) => {
      const machine = await seats.heartbeat(request.body.key, request.body.fingerprint, { ip: request.ip, requestId: request.id });
      return { machine };
    },
  );

  app.get(
    '/v1/machines',
    {
      schema: { operationId: 'listMachines', summary: 'List machines', tags: ['machines'], querystring: ListMachinesQuery, response: { 200: Page(MachineSchema), ...commonErrors } },
      config: { access: { permission: 'machines:read' } },
    },
    async (request) => machines.list(ctx(request), { ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/machines/export',
    {
      schema: {
        operationId: 'exportMachines',
        summary: 'Export machines as CSV',
        tags: ['machines'],
        description:
          'The machines of listMachines (the same filters and scope) as CSV: a header row, one line per machine with its license\'s name and product code, newest first, ISO-8601 UTC times. Streamed page by page; an error after the download started cuts it short.',
        querystring: ExportMachinesQuery,
        produces: ['text/csv'],
        response: { 200: Type.String({ description: 'text/csv' }), ...commonErrors },
      },
      config: { access: { permission: 'machines:read' } },
    },
    async (request, reply) => sendCsvExport(reply, machines.exportCsv(ctx(request), request.query)),
  );

  app.get(
    '/v1/licenses/:id/users',
    {
      schema: {
        operationId: 'listLicenseUsers',
        summary: "List a license's users",
        tags: ['machines'],
        description: 'The named users of a per-user license.',
        params: IdParams,
        response: { 200: Type.Object({ data: Type.Array(LicenseUserSchema) }), ...commonErrors },
      },
      config: { access: { permission: 'machines:read' } },
    },
    async (request) => ({ data: await licenseUsers.list(ctx(request), request.params.id) }),
  );

  app.post(
    '/v1/licenses/:id/users',
    {
      schema: {
        operationId: 'addLicenseUser',
        summary: 'Add a user to a license',
        tags: ['machines'],
        description:
          'Name a user on the license (per-user licensing): activations then name one of its users, and maxMachines counts per user. 422 TOO_MANY_USERS past maxUsers.',
        params: IdParams,
        body: Type.Object(
          { identifier: Type.String({ minLength: 1, maxLength: 320, description: 'E-mail or user name' }), name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))) },
          { additionalProperties: false },
        ),
        response: { 201: LicenseUserSchema, ...commonErrors },
      },
      config: { access: { permission: 'machines:write' } },
    },
    async (request, reply) => reply.status(201).send(await licenseUsers.add(ctx(request), request.params.id, request.body)),
  );

  app.delete(
    '/v1/licenses/:id/users/:userId',
    {
      schema: {
        operationId: 'removeLicenseUser',
        summary: 'Remove a user from a license',
        tags: ['machines'],
        description: "Remove a named user; its machines are deactivated and the seat is free.",
        params: Type.Object({ id: Id, userId: Id }, { additionalProperties: false }),
        response: { 204: NoContent, ...commonErrors },
      },
      config: { access: { permission: 'machines:write' } },
    },
    async (request, reply) => {
      await licenseUsers.remove(ctx(request), request.params.id, request.params.userId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/licenses/:id/actions/reset-machines',
    {
      schema: {
        operationId: 'resetLicenseMachines',
        summary: 'Deactivate every machine of a license',
        tags: ['machines'],
        description:
          'Deactivate every machine of the license and free its seats, except borrowed ones: a machine whose offline license file is out keeps its seat until the file expires or is checked in.',
        params: IdParams,
        response: {
          200: Type.Object({
            deactivated: Type.Integer(),
            borrowed: Type.Integer({ description: 'Machines kept because an offline license file for them is out' }),
          }),
          ...commonErrors,
        },
      },
      config: { access: { permission: 'licenses:lifecycle', staffOnly: true } },
    },
    async (request) => machines.resetLicense(ctx(request), request.params.id),
  );

  app.delete(
    '/v1/machines/:id',
    {
      schema: {
        operationId: 'deleteMachine',
        summary: 'Deactivate a machine and free its seat',
        tags: ['machines'],
        description: 'Deactivate a machine and free its seat; 422 SEAT_BORROWED while an offline license file for it is out (it cannot be called back).',
        params: IdParams,
        response: { 204: NoContent, ...commonErrors },
      },
      config: { access: { permission: 'machines:write' } },
    },
    async (request, reply) => {
      await machines.delete(ctx(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
