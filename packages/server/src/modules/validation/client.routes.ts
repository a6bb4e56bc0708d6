import { ErrorBody } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { PublicKeyResponse, ValidateBody, ValidateResponse } from '../licenses/licenses.schemas.js';

const clientErrors = { 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 429: ErrorBody };

/**
 * Client operations (CONTRACT.md): the license key in the body is the credential, every answer is
 * signed, and the per-IP rate limit guards against key guessing.
 */
export function clientRoutes(app: App, { validation, signer }: Services, options: { rateLimit: number; countryHeader: string | undefined }): void {
  app.get(
    '/v1/public-key',
    {
      schema: { operationId: 'getPublicKey', summary: 'Get the response-signing public key', tags: ['client'], security: [], response: { 200: PublicKeyResponse } },
      config: { access: { public: true }, signed: true },
    },
    async () => ({ keyId: signer.keyId, algorithm: 'ed25519' as const, publicKey: signer.publicKeyRaw.toString('base64'), pem: signer.publicKeyPem }),
  );

  app.post(
    '/v1/licenses/validate',
    {
      schema: {
        operationId: 'validateLicense',
        summary: 'Validate a license key',
        tags: ['client'],
        security: [],
        description: 'Validation outcomes are data: an invalid license is a 200 with valid=false and a code.',
        body: ValidateBody,
        response: { 200: ValidateResponse, ...clientErrors },
      },
      config: { access: { public: true }, signed: true, rateLimit: { max: options.rateLimit, timeWindow: 60_000 } },
    },
    async (request) => {
      const header = options.countryHeader ? request.headers[options.countryHeader] : undefined;
      const country = typeof header === 'string' && /^[A-Za-z]{2}$/.test(header) ? header.toUpperCase() : undefined;
      return validation.validate(request.body, { ip: request.ip, userAgent: request.headers['user-agent'], ...(country ? { country } : {}) });
    },
  );
}
