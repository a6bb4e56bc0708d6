import { isUniqueViolation, type Db, type Trx } from '../../db/database.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { renderMarkdown } from '../../lib/markdown.js';
import { page, type Page } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { ProductsService } from '../products/products.service.js';
import {
  deleteDraftRow,
  findRelease,
  insertRelease,
  listReleases,
  publishedCandidates,
  retainableReleases,
  updateReleaseRow,
  versionTaken,
  type DocLink,
  type Release,
  type ReleaseCandidate,
  type ReleaseStatus,
} from './releases.repository.js';
import { channelsFor, parseVersion, type Channel } from './semver.js';
import type { ModuleWiring } from '../../wiring.js';

export type { Release, ReleaseCandidate } from './releases.repository.js';

export interface CreateReleaseInput {
  productId: string;
  version: string;
  channel?: Channel;
  notes?: string;
  docLinks?: DocLink[];
  videoUrl?: string | null;
  requirements?: string[];
}
export type UpdateReleaseInput = Partial<Omit<CreateReleaseInput, 'productId'>>;

export interface ListReleasesInput {
  productId?: string;
  channel?: Channel;
  status?: ReleaseStatus;
  limit: number;
  cursor?: string;
}

/**
 * What another module removes with a deleted release (its artifacts), inside the deleting transaction.
 * It may return work to run after the commit (deleting stored files), never inside the transaction.
 */
export type ReleaseDeleteStep = (trx: Trx, ctx: RequestContext, release: Release) => Promise<(() => Promise<void>) | void>;

/**
 * Releases of a product (the update check is the updates module). Every change is one transaction with its audit event;
 * status transitions are conditional UPDATEs (draft → published ⇄ yanked), so two racing calls cannot both win.
 */
export interface ReleasesDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  products: ProductsService;
}

export class ReleasesService {
  constructor(private readonly deps: ReleasesDeps) {}

  /** How event lists name releases. */
  wiring(): ModuleWiring {
    return {
      namers: {
        release: async (ctx, ids) => {
          let q = this.deps.db.selectFrom('releases').select(['id', 'version']).where('id', 'in', ids);
          if (ctx.actor.scope.productIds) q = q.where('product_id', 'in', ctx.actor.scope.productIds.length > 0 ? [...ctx.actor.scope.productIds] : ['']);
          return new Map((await q.execute()).map((r) => [r.id, r.version]));
        },
      },
    };
  }

  private readonly deleteSteps: ReleaseDeleteStep[] = [];

  /** Registers what must go with a deleted release (the artifacts module's wiring: its rows, then its files). */
  onDelete(step: ReleaseDeleteStep): void {
    this.deleteSteps.push(step);
  }

  /**
   * Deletes a draft with its artifacts (audited `release.deleted`, and `artifact.deleted` for each file).
   * Only drafts: a published or yanked release may have been downloaded and announced, so it stays on record —
   * yank it to stop offering it, or delete its artifacts to remove the files.
   */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    const afterCommit = await this.deps.db.transaction().execute(async (trx) => {
      const release = await findRelease(trx, ctx.actor, this.deps.products.customerProducts, id);
      if (!release) throw notFound('Release', id);
      if (release.status !== 'draft') {
        throw new AppError('INVALID_TRANSITION', `Only a draft can be deleted; this release is ${release.status} (yank it, or delete its artifacts)`);
      }
      const after: (() => Promise<void>)[] = [];
      for (const step of this.deleteSteps) {
        const next = await step(trx, ctx, release);
        if (next) after.push(next);
      }
      if (!(await deleteDraftRow(trx, id))) throw new AppError('INVALID_TRANSITION', 'The release changed meanwhile; read it again');
      await this.deps.events.record(trx, ctx, { action: 'release.deleted', targetType: 'release', targetId: id, before: release });
      return after;
    });
    for (const next of afterCommit) await next();
  }

  async create(ctx: RequestContext, input: CreateReleaseInput): Promise<Release> {
    parseVersion(input.version);
    const product = await this.deps.products.get(ctx, input.productId);
    const now = this.deps.clock.now().toISOString();
    const release: Release = {
      id: newId('rel'),
      productId: product.id,
      version: input.version,
      channel: input.channel ?? 'stable',
      status: 'draft',
      notes: input.notes ?? '',
      notesHtml: renderMarkdown(input.notes ?? ''),
      docLinks: input.docLinks ?? [],
      videoUrl: input.videoUrl ?? null,
      requirements: [...new Set(input.requirements ?? [])],
      publishedAt: null,
      yankedAt: null,
      yankReason: null,
      createdAt: now,
      updatedAt: now,
    };
    // The check answers the usual case; the unique index settles two concurrent creates of one version.
    await this.deps.db
      .transaction()
      .execute(async (trx) => {
        if (await versionTaken(trx, release.productId, release.version)) throw versionExists(release.version);
        await insertRelease(trx, release);
        await this.deps.events.record(trx, ctx, { action: 'release.created', targetType: 'release', targetId: release.id, after: release });
      })
      .catch(rethrowVersionClash(release.version));
    return release;
  }

  async get(ctx: RequestContext, id: string): Promise<Release> {
    const release = await this.find(ctx, id);
    if (!release) throw notFound('Release', id);
    return release;
  }

  /** The release, or undefined when there is none the actor may see. */
  async find(ctx: RequestContext, id: string): Promise<Release | undefined> {
    return findRelease(this.deps.db, ctx.actor, this.deps.products.customerProducts, id);
  }

  /** The product's published releases, without their notes: what the update check chooses among. */
  async publishedCandidates(productId: string): Promise<ReleaseCandidate[]> {
    return publishedCandidates(this.deps.db, productId);
  }

  /** A product's published and yanked releases, unscoped (retention weighs them; drafts are never touched). */
  async retainable(productId: string): Promise<Release[]> {
    return retainableReleases(this.deps.db, productId);
  }

  async list(ctx: RequestContext, input: ListReleasesInput): Promise<Page<Release>> {
    const rows = await listReleases(
      this.deps.db,
      ctx.actor,
      this.deps.products.customerProducts,
      {
        ...(input.productId !== undefined ? { productId: input.productId } : {}),
        ...(input.channel !== undefined ? { channels: channelsFor(input.channel) } : {}),
        ...(input.status !== undefined ? { status: input.status } : {}),
      },
      input.limit,
      input.cursor,
    );
    return page(rows, input.limit);
  }

  async update(ctx: RequestContext, id: string, input: UpdateReleaseInput): Promise<Release> {
    if (input.version !== undefined) parseVersion(input.version);
    return this.change(ctx, id, 'release.updated', (before) => {
      if (input.version !== undefined && input.version !== before.version && before.status !== 'draft') {
        throw new AppError('INVALID_TRANSITION', `Only a draft may change its version; this release is ${before.status}`);
      }
      return {
        ...before,
        ...(input.version !== undefined ? { version: input.version } : {}),
        ...(input.channel !== undefined ? { channel: input.channel } : {}),
        ...(input.notes !== undefined ? { notes: input.notes, notesHtml: renderMarkdown(input.notes) } : {}),
        ...(input.docLinks !== undefined ? { docLinks: input.docLinks } : {}),
        ...(input.videoUrl !== undefined ? { videoUrl: input.videoUrl } : {}),
        ...(input.requirements !== undefined ? { requirements: [...new Set(input.requirements)] } : {}),
      };
    });
  }

  async publish(ctx: RequestContext, id: string): Promise<Release> {
    return this.change(ctx, id, 'release.published', (before, now) => {
      if (before.status !== 'draft') throw new AppError('INVALID_TRANSITION', `Only a draft can be published; this release is ${before.status}`);
      return { ...before, status: 'published', publishedAt: now };
    });
  }

  /** Stops offering the release: update checks fall back to the newest release still published. */
  async yank(ctx: RequestContext, id: string, reason?: string): Promise<Release> {
    return this.change(ctx, id, 'release.yanked', (before, now) => {
      if (before.status !== 'published') throw new AppError('INVALID_TRANSITION', `Only a published release can be yanked; this release is ${before.status}`);
      return { ...before, status: 'yanked', yankedAt: now, yankReason: reason ?? null };
    });
  }

  async unyank(ctx: RequestContext, id: string): Promise<Release> {
    return this.change(ctx, id, 'release.unyanked', (before) => {
      if (before.status !== 'yanked') throw new AppError('INVALID_TRANSITION', `Only a yanked release can be restored; this release is ${before.status}`);
      return { ...before, status: 'published', yankedAt: null, yankReason: null };
    });
  }

  private async change(ctx: RequestContext, id: string, action: string, apply: (before: Release, now: string) => Release): Promise<Release> {
    let version = '';
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await findRelease(trx, ctx.actor, this.deps.products.customerProducts, id);
      if (!before) throw notFound('Release', id);
      const now = this.deps.clock.now().toISOString();
      const after = { ...apply(before, now), updatedAt: now };
      version = after.version;
      parseVersion(after.version);
      if (after.version !== before.version && (await versionTaken(trx, after.productId, after.version, id))) throw versionExists(after.version);
      if (!(await updateReleaseRow(trx, after, before.status))) {
        throw new AppError('INVALID_TRANSITION', 'The release changed meanwhile; read it again');
      }
      await this.deps.events.record(trx, ctx, { action, targetType: 'release', targetId: id, before, after });
      return after;
    }).catch((error: unknown) => rethrowVersionClash(version)(error));
  }
}

const rethrowVersionClash =
  (version: string) =>
  (error: unknown): never => {
    throw isUniqueViolation(error) ? versionExists(version) : error;
  };

const versionExists = (version: string) => new AppError('VERSION_EXISTS', `This product already has a release ${version}`, { fields: { version: 'is taken' } });
