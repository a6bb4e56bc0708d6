import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { commonErrors, ErrorBody, IdParams, ListQuery, NoContent } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { ArtifactList, ArtifactSchema, DownloadLinkSchema, DownloadList, DownloadQuery, KeyBody, ReleaseArtifactParams, UploadQuery } from './artifacts.schemas.js';

const uploadErrors = { ...commonErrors, 413: ErrorBody, 415: ErrorBody };

/** Artifact upload (streamed), listing and deletion; entitled download links and the public download. */
export function artifactRoutes(app: App, { artifacts, downloads }: Services, options: { maxBytes: number; rateLimit: number }): void {
  app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    // The raw request stream goes to the service untouched: the file is never buffered whole in memory.
    // The storage driver enforces `maxBytes` while it writes; bodyLimit here only keeps Fastify from cutting it.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/octet-stream', { bodyLimit: options.maxBytes }, (_request, payload, done) => done(null, payload));
    scope.put(
      '/v1/releases/:id/artifacts',
      {
        bodyLimit: options.maxBytes,
        schema: {
          operationId: 'uploadArtifact',
          summary: 'Upload an artifact to a release',
          tags: ['releases'],
          description:
            'Body: the file as application/octet-stream, streamed to storage while hashed. With `sha256`, other bytes are refused (400 CHECKSUM_MISMATCH) and nothing is kept; 400 INVALID_FILE_NAME for path tricks; 413 above KEYHAVEN_ARTIFACT_MAX_MB. The artifact is listed only after a complete, verified write.',
          params: ReleaseArtifactParams,
          querystring: UploadQuery,
          response: { 201: ArtifactSchema, ...uploadErrors },
        },
        config: { access: { permission: 'releases:write' } },
      },
      async (request, reply) => reply.status(201).send(await artifacts.upload(ctx(request), request.params.id, request.query, request.body)),
    );
  });

  app.get(
    '/v1/releases/:id/artifacts',
    {
      schema: { operationId: 'listArtifacts', summary: "List a release's artifacts", tags: ['releases'], description: 'Oldest first.', params: IdParams, querystring: ListQuery, response: { 200: ArtifactList, ...commonErrors } },
      config: { access: { permission: 'releases:read' } },
    },
    async (request) => artifacts.list(ctx(request), request.params.id, { limit: request.query.limit ?? 25, cursor: request.query.cursor }),
  );

  app.delete(
    '/v1/artifacts/:id',
    {
      schema: { operationId: 'deleteArtifact', summary: 'Delete an artifact', tags: ['releases'], description: 'Removes the artifact and its file; its download record stays.', params: IdParams, response: { 204: NoContent, ...commonErrors } },
      config: { access: { permission: 'releases:write' } },
    },
    async (request, reply) => {
      await artifacts.delete(ctx(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/artifacts/:id/downloads',
    {
      schema: {
        operationId: 'listArtifactDownloads',
        summary: "List an artifact's downloads",
        tags: ['releases'],
        description: 'Every download of the artifact, oldest first: who (user, token or license), IP, time.',
        params: IdParams,
        querystring: ListQuery,
        response: { 200: DownloadList, ...commonErrors },
      },
      config: { access: { permission: 'releases:write' } },
    },
    async (request) => downloads.list(ctx(request), request.params.id, { limit: request.query.limit ?? 25, cursor: request.query.cursor }),
  );

  app.post(
    '/v1/artifacts/:id/download-link',
    {
      schema: {
        operationId: 'createDownloadLink',
        summary: 'Create an artifact download link',
        tags: ['releases'],
        description:
          'A signed URL valid for 10 minutes. Staff: any artifact. Customer users: published releases of a product their organization holds an active license for, with the release\'s required features (403 NOT_ENTITLED otherwise). 410 ARTIFACT_REMOVED when retention removed the file.',
        params: IdParams,
        response: { 200: DownloadLinkSchema, ...commonErrors, 410: ErrorBody },
      },
      config: { access: { permission: 'releases:read' } },
    },
    async (request) => downloads.createLink(ctx(request), request.params.id),
  );

  app.post(
    '/v1/artifacts/:id/download-link/by-key',
    {
      schema: {
        operationId: 'createDownloadLinkForKey',
        summary: 'Create a download link with a license key',
        tags: ['client'],
        security: [],
        description: 'Client style: the license key in the body must validate for the product and hold the release\'s required features (403 NOT_ENTITLED); 410 ARTIFACT_REMOVED when retention removed the file.',
        params: IdParams,
        body: KeyBody,
        response: { 200: DownloadLinkSchema, ...commonErrors, 410: ErrorBody, 413: ErrorBody, 415: ErrorBody },
      },
      config: { access: { public: true }, rateLimit: { max: options.rateLimit, timeWindow: 60_000 } },
    },
    async (request) => downloads.createLinkForKey(request.params.id, request.body.key, { ip: request.ip, userAgent: request.headers['user-agent'] }),
  );

  app.get(
    '/v1/downloads/:id',
    {
      schema: {
        operationId: 'downloadArtifact',
        summary: 'Download an artifact',
        tags: ['client'],
        security: [],
        description:
          'Streams the file of a signed download link (Content-Length, Content-Disposition, X-Checksum-Sha256, X-Signature). The query carries expiry, holder and HMAC exactly as createDownloadLink returned them; 403 DOWNLOAD_LINK_INVALID when tampered or expired; 410 ARTIFACT_REMOVED when retention removed the file since. Add `format=bundle` for an offline update bundle (application/x-tar, `<fileName>.khbundle.tar`: manifest.json, manifest.sig, payload/<fileName>).',
        params: IdParams,
        querystring: DownloadQuery,
        response: { 200: Type.Unknown({ description: 'The file (application/octet-stream), or the bundle (application/x-tar)' }), 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 410: ErrorBody, 429: ErrorBody },
      },
      config: { access: { public: true }, rateLimit: { max: options.rateLimit, timeWindow: 60_000 } },
    },
    async (request, reply) => {
      const { format, ...link } = request.query;
      const meta = { ip: request.ip, userAgent: request.headers['user-agent'] };
      const head = request.method === 'HEAD';
      if (format === 'bundle') {
        const bundle = await downloads.openBundle({ artifactId: request.params.id, ...link }, meta, { head });
        return reply
          .header('content-type', 'application/x-tar')
          .header('content-length', String(bundle.size))
          .header('content-disposition', contentDisposition(bundle.fileName))
          .header('cache-control', 'private, no-store')
          .send(bundle.stream);
      }
      const { artifact, stream, size } = await downloads.open({ artifactId: request.params.id, ...link }, meta, { head });
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(size))
        .header('content-disposition', contentDisposition(artifact.fileName))
        .header('x-checksum-sha256', artifact.sha256)
        .header('x-signature', artifact.signature)
        .header('cache-control', 'private, no-store')
        .send(stream);
    },
  );
}

/**
 * `attachment` with the name twice (RFC 6266): `filename="…"`, an ASCII fallback for old clients (every
 * character outside printable ASCII, and `"` and `\`, becomes `_`), and `filename*=UTF-8''…`, the
 * exact name percent-encoded as RFC 5987 requires (only its attr-chars stay literal). A header value
 * holds Latin-1 at most, so the UTF-8 name may only ever appear encoded.
 */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\]/gu, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
