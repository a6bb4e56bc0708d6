import { isUniqueViolation, type Db } from '../../db/database.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { ValidationCode } from '../licenses/validation.js';
import type { ValidationService } from '../licenses/validation.service.js';
import type { ProductsService } from '../products/products.service.js';
import {
  findRelease,
  insertRelease,
  listReleases,
  publishedReleases,
  updateReleaseRow,
  versionTaken,
  type DocLink,
  type Release,
  type ReleaseStatus,
} from './releases.repository.js';
import { channelsFor, compareSemver, parseSemver, type Channel, type SemVer } from './semver.js';

export type { Release } from './releases.repository.js';

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

export interface UpdateCheckInput {
  key: string;
  product: string;
  version: string;
  channel?: Channel;
  platform?: string;
  arch?: string;
  nonce?: string;
}

export interface UpdateCheckAnswer {
  updateAvailable: boolean;
  /** The license's validation code: VALID or GRACE_PERIOD when an update may be offered. */
  code: ValidationCode;
  ts: string;
  release?: Release;
  nonce?: string;
}

function semverOf(version: string, field = 'version'): SemVer {
  const parsed = parseSemver(version);
  if (!parsed) throw new AppError('INVALID_VERSION', `"${version}" is not a semantic version (e.g. 1.4.0 or 2.0.0-rc.1)`, { fields: { [field]: 'must be a semantic version' } });
  return parsed;
}

/**
 * Releases of a product and the client update check. Every change is one transaction with its audit event;
 * status transitions are conditional UPDATEs (draft → published ⇄ yanked), so two racing calls cannot both win.
 */
export class ReleasesService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly events: EventsService,
    private readonly products: ProductsService,
    private readonly validation: ValidationService,
  ) {}

  async create(ctx: RequestContext, input: CreateReleaseInput): Promise<Release> {
    semverOf(input.version);
    const product = await this.products.get(ctx, input.productId);
    const now = this.clock.now().toISOString();
    const release: Release = {
      id: newId('rel'),
      productId: product.id,
      version: input.version,
      channel: input.channel ?? 'stable',
      status: 'draft',
      notes: input.notes ?? '',
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
    await this.db
      .transaction()
      .execute(async (trx) => {
        if (await versionTaken(trx, release.productId, release.version)) throw versionExists(release.version);
        await insertRelease(trx, release);
        await this.events.record(trx, ctx, { action: 'release.created', targetType: 'release', targetId: release.id, after: release });
      })
      .catch(rethrowVersionClash(release.version));
    return release;
  }

  async get(ctx: RequestContext, id: string): Promise<Release> {
    const release = await findRelease(this.db, ctx.actor, id);
    if (!release) throw notFound('Release', id);
    return release;
  }

  async list(ctx: RequestContext, input: ListReleasesInput): Promise<Page<Release>> {
    const rows = await listReleases(
      this.db,
      ctx.actor,
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
    if (input.version !== undefined) semverOf(input.version);
    return this.change(ctx, id, 'release.updated', (before) => {
      if (input.version !== undefined && input.version !== before.version && before.status !== 'draft') {
        throw new AppError('INVALID_TRANSITION', `Only a draft may change its version; this release is ${before.status}`);
      }
      return {
        ...before,
        ...(input.version !== undefined ? { version: input.version } : {}),
        ...(input.channel !== undefined ? { channel: input.channel } : {}),
        ...(input.notes !== undefined ? { notes: input.notes } : {}),
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

  /**
   * The client update check: the license must validate for the product; the answer is the newest
   * published release on the channel (or a more stable one) above `version` whose requirements the
   * license's features cover. `platform`/`arch` narrow by artifacts once artifacts exist (next part).
   */
  async checkForUpdate(input: UpdateCheckInput, meta: { ip: string; userAgent: string | undefined }): Promise<UpdateCheckAnswer> {
    const current = semverOf(input.version);
    const validation = await this.validation.validate({ key: input.key, product: input.product }, meta);
    const base = { code: validation.code, ts: validation.ts, ...(input.nonce !== undefined ? { nonce: input.nonce } : {}) };
    if (!validation.valid || !validation.license) return { updateAvailable: false, ...base };
    const features = new Set(validation.license.features);
    let best: { release: Release; semver: SemVer } | undefined;
    for (const release of await publishedReleases(this.db, validation.license.productId, channelsFor(input.channel ?? 'stable'))) {
      const semver = parseSemver(release.version);
      if (!semver || compareSemver(semver, current) <= 0) continue;
      if (!release.requirements.every((f) => features.has(f))) continue;
      if (!best || compareSemver(semver, best.semver) > 0) best = { release, semver };
    }
    return best ? { updateAvailable: true, release: best.release, ...base } : { updateAvailable: false, ...base };
  }

  private async change(ctx: RequestContext, id: string, action: string, apply: (before: Release, now: string) => Release): Promise<Release> {
    let version = '';
    return this.db.transaction().execute(async (trx) => {
      const before = await findRelease(trx, ctx.actor, id);
      if (!before) throw notFound('Release', id);
      const now = this.clock.now().toISOString();
      const after = { ...apply(before, now), updatedAt: now };
      version = after.version;
      semverOf(after.version);
      if (after.version !== before.version && (await versionTaken(trx, after.productId, after.version, id))) throw versionExists(after.version);
      if (!(await updateReleaseRow(trx, after, before.status))) {
        throw new AppError('INVALID_TRANSITION', 'The release changed meanwhile; read it again');
      }
      await this.events.record(trx, ctx, { action, targetType: 'release', targetId: id, before, after });
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
