import Type from 'typebox';
import { commonErrors, ErrorBody, Nonce } from '../../http/schemas.js';
import { requestNonce } from '../../http/signing.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { Fingerprint, HeartbeatResponse, MachineKeyBody } from '../machines/machines.schemas.js';
import { MAX_TTL_DAYS } from './offline.service.js';

const LicenseFileText = Type.String({ description: 'An armoured KEYHAVEN LICENSE FILE block (text/plain)' });
const TtlDays = Type.Integer({
  minimum: 1,
  maximum: MAX_TTL_DAYS,
  description: "How long the file may be used offline (default 30 days); clamped to the policy's offlineMaxDays and never past the license",
});

export function offlineRoutes(app: App, { offline, seats }: Services, options: { rateLimit: number }): void {
  app.post(
    '/v1/licenses/checkout',
    {
      schema: {
        operationId: 'checkoutLicenseFile',
        summary: 'Check out a license file (borrow a seat)',
        tags: ['client'],
        security: [],
        description:
          "A signed license file for offline use, optionally encrypted to the key and fingerprint. On a license with a seat limit the file is bound to `fingerprint`, an activated machine (422 FINGERPRINT_REQUIRED without it), and borrows that machine's seat until the file expires or is checked in (checkinLicenseFile): the seat stays taken whatever the lease does, and deactivating the machine is refused meanwhile. Unbound files only on licenses without a seat limit. The lifetime is ttlDays clamped to the policy's offlineMaxDays.",
        body: Type.Object(
          {
            key: Type.String({ minLength: 1, maxLength: 100 }),
            fingerprint: Type.Optional(Fingerprint),
            ttlDays: Type.Optional(TtlDays),
            encrypt: Type.Optional(Type.Boolean()),
            nonce: Type.Optional(Nonce),
          },
          { additionalProperties: false },
        ),
        produces: ['text/plain'],
        response: { 200: LicenseFileText, 400: ErrorBody, 404: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
      config: { access: { public: true }, signed: true, rateLimit: { max: options.rateLimit, timeWindow: 60_000 } },
    },
    async (request, reply) => {
      // The file carries the request's nonce (the header's when sent), like the signature.
      const { nonce: _body, ...input } = request.body;
      const nonce = requestNonce(request);
      const file = await offline.checkout({ ...input, ...(nonce !== undefined ? { nonce } : {}) }, { ip: request.ip, requestId: request.id });
      return reply.type('text/plain; charset=utf-8').send(file);
    },
  );

  app.post(
    '/v1/licenses/checkin',
    {
      schema: {
        operationId: 'checkinLicenseFile',
        summary: 'Check in a license file (return a seat)',
        tags: ['client'],
        security: [],
        description:
          "Returns this machine's offline license files early: the app deletes its files and its seat is no longer borrowed (a floating machine keeps the seat only while its lease lives; a node-locked one stays activated). Answers the machine; a no-op when no file is out.",
        body: MachineKeyBody,
        response: { 200: HeartbeatResponse, 400: ErrorBody, 404: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
      config: { access: { public: true }, signed: true, rateLimit: { max: options.rateLimit, timeWindow: 60_000 } },
    },
    async (request) => {
      const machine = await seats.returnSeat(request.body.key, request.body.fingerprint, { ip: request.ip, requestId: request.id });
      return { machine };
    },
  );

  app.post(
    '/v1/machines/offline-activations',
    {
      schema: {
        operationId: 'createOfflineActivation',
        summary: 'Activate a machine offline from a request file',
        tags: ['machines'],
        description:
          'Offline activation: submit the activation request file written by the app on a machine without network; the machine takes a seat and the answer is a license file bound to it. The answer is signed like a client operation.',
        body: Type.Object(
          {
            request: Type.String({ minLength: 1, maxLength: 20_000, description: 'The KEYHAVEN ACTIVATION REQUEST block' }),
            ttlDays: Type.Optional(TtlDays),
            encrypt: Type.Optional(Type.Boolean()),
            nonce: Type.Optional(Nonce),
          },
          { additionalProperties: false },
        ),
        produces: ['text/plain'],
        response: { 201: LicenseFileText, ...commonErrors },
      },
      config: { access: { permission: 'machines:write' }, signed: true },
    },
    async (request, reply) => {
      const { request: text, nonce: _nonce, ...options } = request.body;
      const file = await offline.activateOffline(ctx(request), text, options);
      return reply.status(201).type('text/plain; charset=utf-8').send(file);
    },
  );
}
