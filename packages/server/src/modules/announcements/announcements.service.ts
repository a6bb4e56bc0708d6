import { isUniqueViolation, type Db } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { Page } from '../../lib/pagination.js';
import type { Customer, CustomersService } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { LicensesService } from '../licenses/licenses.service.js';
import type { MailService } from '../mail/mail.service.js';
import type { MailPreferencesService } from '../mail/mail-preferences.service.js';
import type { MailTemplatesService } from '../mail/mail-templates.service.js';
import type { Product, ProductsService } from '../products/products.service.js';
import type { Release, ReleasesService } from '../releases/releases.service.js';
import type { UsersService } from '../users/users.service.js';
import { findAnnouncementOfRelease, insertAnnouncement, setRecipientCount, type Announcement } from './announcements.repository.js';

/** The template an announcement uses unless staff pick another one. */
export const DEFAULT_ANNOUNCEMENT_TEMPLATE = 'release.published';

/** License statuses that make a customer a recipient: the ones that may download the release. */
const ENTITLED_STATUSES = ['active', 'grace'] as const;

/** Rows fetched per page while walking licenses and users (through their services). */
const PAGE = 500;

export interface Recipient {
  /** Lower-cased. */
  email: string;
  name: string | null;
  /** The organization the address was found through; null for an address added by hand. */
  customerId: string | null;
  /** The address turned announcement mail off: listed, never sent to. */
  optedOut: boolean;
}

export interface RecipientList {
  releaseId: string;
  data: Recipient[];
  total: number;
  optedOut: number;
}

export interface AnnounceInput {
  /** A mail template key; default `release.published`. */
  template?: string;
  /** Addresses to add to the default list. */
  add?: Array<{ email: string; name?: string }>;
  /** Addresses to take off the default list. */
  remove?: string[];
}

export interface AnnouncementResult {
  id: string;
  releaseId: string;
  template: string;
  /** Mails queued, one per address. */
  recipients: number;
  /** Addresses left out because they turned announcement mail off. */
  skippedOptedOut: number;
  createdAt: string;
}

/** A recipient while the list is built: the organization travels along for the template variables. */
interface Candidate {
  email: string;
  name: string | null;
  customer: Pick<Customer, 'id' | 'name' | 'email'> | null;
}

const covers = (features: string[], requirements: string[]) => requirements.every((f) => features.includes(f));

/** Every item of a paged list, following `nextCursor`. */
async function everyPage<T>(fetch: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetch(cursor);
    items.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return items;
}

const alreadyAnnounced = (release: Release) => new AppError('ALREADY_ANNOUNCED', `Release ${release.version} was announced already; an announcement is sent once`);

export interface AnnouncementsDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  releases: ReleasesService;
  products: ProductsService;
  licenses: LicensesService;
  customers: CustomersService;
  users: UsersService;
  mail: MailService;
  mailTemplates: MailTemplatesService;
  mailPreferences: MailPreferencesService;
  /** The server's public base URL: the mail links to the portal's sign-in. */
  publicUrl: string;
}

/**
 * Release announcements: mail about a published release to the customers entitled to it.
 *
 * The default recipients of a release are, for every organization holding an active or grace-period
 * license for the release's product whose features cover the release's `requirements`, the
 * organization's contact address and its enabled `customer-admin` users (the people who manage
 * licenses and downloads in the portal; `customer-member` users are end users and are not mailed by
 * default). Staff add and remove addresses per announcement. Addresses that turned `announcements`
 * off are listed (flagged) but never mailed.
 *
 * An announcement is one transaction: the `release_announcements` row (unique per release, so two
 * concurrent announcements cannot both commit), one outbox mail per address and the
 * `release.announced` audit event. Delivery happens after commit, by the mail job.
 */
export class AnnouncementsService {
  constructor(private readonly deps: AnnouncementsDeps) {}

  /** The default recipient list of a release (any status, so staff can look before publishing). */
  async recipients(ctx: RequestContext, releaseId: string): Promise<RecipientList> {
    const release = await this.deps.releases.get(ctx, releaseId);
    const list = await this.withPreferences(await this.defaultCandidates(ctx, release));
    const data = list.map(({ email, name, customer, optedOut }) => ({ email, name, customerId: customer?.id ?? null, optedOut }));
    return { releaseId: release.id, data, total: data.length, optedOut: data.filter((r) => r.optedOut).length };
  }

  /**
   * Publishes the release and, when `announce` is given, announces it. The announcement's input is
   * checked first, so a bad template changes nothing. The two steps are separate transactions: if the
   * announcement fails after the release was published, it stays published and can be announced again
   * with `announce`.
   */
  async publish(ctx: RequestContext, releaseId: string, announce?: AnnounceInput): Promise<Release & { announcement?: AnnouncementResult }> {
    if (announce) this.templateOf(announce);
    const release = await this.deps.releases.publish(ctx, releaseId);
    if (!announce) return release;
    return { ...release, announcement: await this.announce(ctx, release.id, announce) };
  }

  /** Mails the announcement: default recipients − `remove` + `add`, minus those who opted out. Once per release. */
  async announce(ctx: RequestContext, releaseId: string, input: AnnounceInput): Promise<AnnouncementResult> {
    const template = this.templateOf(input);
    const release = await this.deps.releases.get(ctx, releaseId);
    if (release.status !== 'published') throw new AppError('INVALID_TRANSITION', `Only a published release can be announced; this release is ${release.status}`);
    // The common case answered early; the unique index decides between concurrent calls.
    if (await findAnnouncementOfRelease(this.deps.db, release.id)) throw alreadyAnnounced(release);
    const product = await this.deps.products.get(ctx, release.productId);
    const list = await this.withPreferences(applyChanges(await this.defaultCandidates(ctx, release), input));
    const sendable = list.filter((r) => !r.optedOut);
    const announcement: Announcement = {
      id: newId('ann'),
      releaseId: release.id,
      template,
      recipients: sendable.length,
      createdBy: ctx.actor.label,
      createdAt: this.deps.clock.now().toISOString(),
    };
    let queued = 0;
    await this.deps.db
      .transaction()
      .execute(async (trx) => {
        // First, so that a concurrent second announcement stops here (PostgreSQL: waits, then fails) before rendering anything.
        await insertAnnouncement(trx, announcement);
        for (const recipient of sendable) {
          const sent = await this.deps.mail.send(trx, {
            template,
            to: recipient.email,
            category: 'announcements',
            customerId: recipient.customer?.id ?? null,
            dedupeKey: `release-announcement:${release.id}:${recipient.email}`,
            data: this.mailData(product, release, recipient),
          });
          // `send` checks preferences again: an address that opted out a moment ago is recorded as suppressed.
          if (sent.created && !sent.suppressed) queued++;
        }
        if (queued !== announcement.recipients) await setRecipientCount(trx, announcement.id, queued);
        await this.deps.events.record(trx, ctx, {
          action: 'release.announced',
          targetType: 'release',
          targetId: release.id,
          after: { announcementId: announcement.id, version: release.version, template, recipients: queued, skippedOptedOut: list.length - queued },
        });
      })
      .catch((error: unknown) => {
        throw isUniqueViolation(error) ? alreadyAnnounced(release) : error;
      });
    return {
      id: announcement.id,
      releaseId: release.id,
      template,
      recipients: queued,
      skippedOptedOut: list.length - queued,
      createdAt: announcement.createdAt,
    };
  }

  /** The template key to use; 400 TEMPLATE_UNKNOWN when no template has it. */
  private templateOf(input: AnnounceInput): string {
    const template = input.template ?? DEFAULT_ANNOUNCEMENT_TEMPLATE;
    if (!this.deps.mailTemplates.hasTemplate(template)) {
      throw new AppError('TEMPLATE_UNKNOWN', `There is no mail template ${template} (GET /v1/mail-templates lists them)`, { fields: { template: 'is unknown' } });
    }
    return template;
  }

  /** Contact addresses and customer admins of the organizations entitled to the release, once per address, ordered by address. */
  private async defaultCandidates(ctx: RequestContext, release: Release): Promise<Candidate[]> {
    const holders = new Set<string>();
    for (const status of ENTITLED_STATUSES) {
      const licenses = await everyPage((cursor) => this.deps.licenses.list(ctx, { productId: release.productId, status, limit: PAGE, ...(cursor ? { cursor } : {}) }));
      for (const license of licenses) {
        if (license.customerId !== null && covers(license.features, release.requirements)) holders.add(license.customerId);
      }
    }
    const byEmail = new Map<string, Candidate>();
    const add = (email: string, name: string | null, customer: Candidate['customer']) => {
      const address = email.trim().toLowerCase();
      if (!byEmail.has(address)) byEmail.set(address, { email: address, name, customer });
    };
    for (const customerId of holders) {
      const customer = await this.deps.customers.get(ctx, customerId);
      const organization = { id: customer.id, name: customer.name, email: customer.email };
      add(customer.email, customer.name, organization);
      const users = await everyPage((cursor) => this.deps.users.list(ctx, { customerId, kind: 'customer', limit: PAGE, ...(cursor ? { cursor } : {}) }));
      for (const user of users) {
        if (user.role === 'customer-admin' && !user.disabled) add(user.email, user.name ?? customer.name, organization);
      }
    }
    return [...byEmail.values()].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  }

  private async withPreferences(list: Candidate[]): Promise<Array<Candidate & { optedOut: boolean }>> {
    const optedOut = await this.deps.mailPreferences.optedOut(
      this.deps.db,
      list.map((r) => r.email),
      'announcements',
    );
    return list.map((r) => ({ ...r, optedOut: optedOut.has(r.email) }));
  }

  /**
   * The template variables (see the `release.published` sample): the product, the release with its
   * notes as written (Markdown, shown as text), doc links and portal URL, the organization and the
   * recipient's name. The mail module adds `publicUrl`, `signInUrl`, `recipient` and `unsubscribeUrl`.
   */
  private mailData(product: Product, release: Release, recipient: Candidate): Record<string, unknown> {
    return {
      name: recipient.name,
      customer: recipient.customer ? { name: recipient.customer.name, email: recipient.customer.email } : null,
      product: { name: product.name, code: product.code },
      release: {
        id: release.id,
        version: release.version,
        channel: release.channel,
        notes: release.notes,
        // Safe HTML (raw HTML escaped, only http(s)/mailto/relative links): see lib/markdown.ts.
        notesHtml: release.notesHtml,
        docLinks: release.docLinks,
        videoUrl: release.videoUrl,
        publishedAt: release.publishedAt,
        // The portal, where signed-in customers download (the mail itself carries no download link).
        url: `${this.deps.publicUrl}/sign-in`,
      },
    };
  }
}

/** default − remove + add (an added address already on the list keeps its entry). */
function applyChanges(list: Candidate[], input: AnnounceInput): Candidate[] {
  const removed = new Set((input.remove ?? []).map((a) => a.trim().toLowerCase()));
  const result = list.filter((r) => !removed.has(r.email));
  const present = new Set(result.map((r) => r.email));
  for (const extra of input.add ?? []) {
    const email = extra.email.trim().toLowerCase();
    if (present.has(email)) continue;
    present.add(email);
    result.push({ email, name: extra.name ?? null, customer: null });
  }
  return result;
}
