import { commonErrors, IdParams } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { AnnounceBody, AnnouncementSchema, emptyBodyIfNone, PublishedReleaseSchema, PublishReleaseBody, RecipientListSchema } from './announcements.schemas.js';

/**
 * Release announcements by mail (staff), and the publish action of releases: it may announce in the same call,
 * so it is registered here, above releases.
 */
export function announcementRoutes(app: App, { announcements }: Services): void {
  app.post(
    '/v1/releases/:id/actions/publish',
    {
      schema: {
        operationId: 'publishRelease',
        summary: 'Publish a release',
        tags: ['releases'],
        description: 'draft → published: update checks offer it from now on. The body is optional; with `announce` the release is then announced by mail (as announceRelease) and the answer carries `announcement`.',
        params: IdParams,
        body: PublishReleaseBody,
        response: { 200: PublishedReleaseSchema, ...commonErrors },
      },
      config: { access: { permission: 'releases:write' } },
      preValidation: emptyBodyIfNone,
    },
    async (request) => announcements.publish(ctx(request), request.params.id, request.body?.announce),
  );

  app.get(
    '/v1/releases/:id/announcement/recipients',
    {
      schema: {
        operationId: 'listAnnouncementRecipients',
        summary: "List a release announcement's recipients",
        tags: ['releases'],
        description:
          "The default recipients of the release's announcement: the contact address and the customer admins of every organization holding an active or grace-period license for the product that covers the release's requirements, once per address. Addresses that turned announcement mail off are listed with optedOut=true and are not mailed.",
        params: IdParams,
        response: { 200: RecipientListSchema, ...commonErrors },
      },
      config: { access: { permission: 'releases:write' } },
    },
    async (request) => announcements.recipients(ctx(request), request.params.id),
  );

  app.post(
    '/v1/releases/:id/announce',
    {
      schema: {
        operationId: 'announceRelease',
        summary: 'Announce a release by mail',
        tags: ['releases'],
        description:
          'Mails a published release to its recipients (default list − remove + add, without opted-out addresses), one mail per address, once per release: 409 INVALID_TRANSITION unless published, 409 ALREADY_ANNOUNCED the second time, 400 TEMPLATE_UNKNOWN for a template key no template has.',
        params: IdParams,
        body: AnnounceBody,
        response: { 201: AnnouncementSchema, ...commonErrors },
      },
      config: { access: { permission: 'releases:write' } },
    },
    async (request, reply) => reply.status(201).send(await announcements.announce(ctx(request), request.params.id, request.body)),
  );
}
