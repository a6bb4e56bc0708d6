import { commonErrors, IdParams, NoContent, Page } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { CreateReleaseBody, ListReleasesQuery, ReleaseSchema, UpdateReleaseBody, YankReleaseBody } from './releases.schemas.js';

/**
 * Staff release management and the customer view of published releases. Publishing (which may announce in
 * the same call) is registered by the announcements module, which sits above releases.
 */
export function releaseRoutes(app: App, { releases }: Services): void {
  app.post(
    '/v1/releases',
    {
      schema: {
        operationId: 'createRelease',
        summary: 'Create a release',
        tags: ['releases'],
        description: 'A draft release; 400 INVALID_VERSION for a version that is not semver, 409 VERSION_EXISTS when the product has it.',
        body: CreateReleaseBody,
        response: { 201: ReleaseSchema, ...commonErrors },
      },
      config: { access: { permission: 'releases:write' } },
    },
    async (request, reply) => reply.status(201).send(await releases.create(ctx(request), request.body)),
  );

  app.get(
    '/v1/releases',
    {
      schema: {
        operationId: 'listReleases',
        summary: 'List releases',
        tags: ['releases'],
        description: 'Customers see only published releases of the products they hold a license for. `channel=beta` also lists rc and stable.',
        querystring: ListReleasesQuery,
        response: { 200: Page(ReleaseSchema), ...commonErrors },
      },
      config: { access: { permission: 'releases:read' } },
    },
    async (request) => releases.list(ctx(request), { ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/releases/:id',
    {
      schema: { operationId: 'getRelease', summary: 'Get a release', tags: ['releases'], params: IdParams, response: { 200: ReleaseSchema, ...commonErrors } },
      config: { access: { permission: 'releases:read' } },
    },
    async (request) => releases.get(ctx(request), request.params.id),
  );

  app.patch(
    '/v1/releases/:id',
    {
      schema: {
        operationId: 'updateRelease',
        summary: 'Update a release',
        tags: ['releases'],
        description: 'Notes, links, channel and requirements may change at any time; the version only while a draft (409 INVALID_TRANSITION).',
        params: IdParams,
        body: UpdateReleaseBody,
        response: { 200: ReleaseSchema, ...commonErrors },
      },
      config: { access: { permission: 'releases:write' } },
    },
    async (request) => releases.update(ctx(request), request.params.id, request.body),
  );

  app.delete(
    '/v1/releases/:id',
    {
      schema: {
        operationId: 'deleteRelease',
        summary: 'Delete a draft release',
        tags: ['releases'],
        description: 'Deletes a draft with its artifacts and their files; 409 INVALID_TRANSITION for a published or yanked release (yank it, or delete its artifacts).',
        params: IdParams,
        response: { 204: NoContent, ...commonErrors },
      },
      config: { access: { permission: 'releases:write' } },
    },
    async (request, reply) => {
      await releases.delete(ctx(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/releases/:id/actions/yank',
    {
      schema: {
        operationId: 'yankRelease',
        summary: 'Yank a release',
        tags: ['releases'],
        description: 'published → yanked: no longer offered; update checks fall back to the previous release.',
        params: IdParams,
        body: YankReleaseBody,
        response: { 200: ReleaseSchema, ...commonErrors },
      },
      config: { access: { permission: 'releases:write' } },
    },
    async (request) => releases.yank(ctx(request), request.params.id, request.body?.reason),
  );

  app.post(
    '/v1/releases/:id/actions/unyank',
    {
      schema: { operationId: 'unyankRelease', summary: 'Restore a yanked release', tags: ['releases'], description: 'yanked → published: offered again.', params: IdParams, response: { 200: ReleaseSchema, ...commonErrors } },
      config: { access: { permission: 'releases:write' } },
    },
    async (request) => releases.unyank(ctx(request), request.params.id),
  );
}
