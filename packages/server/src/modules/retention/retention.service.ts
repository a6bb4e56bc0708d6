import type { Db } from '../../db/database.js';
import { SYSTEM_ACTOR } from '../../http/access.js';
import { DAY_MS, type Clock } from '../../lib/clock.js';
import type { Artifact, ArtifactsService } from '../artifacts/artifacts.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import { SlotPayload, type ModuleWiring } from '../../wiring.js';
import type { ProductsService } from '../products/products.service.js';
import type { Release, ReleasesService } from '../releases/releases.service.js';
import { compareSemver, parseSemver } from '../releases/semver.js';
import { findRetention, productsWithRetention, saveRetention, type RetentionSettings } from './retention.repository.js';

export type { RetentionSettings } from './retention.repository.js';

export const RETENTION_JOB = 'releases.retention';
/** Daily, at a quiet UTC hour and away from the other daily jobs' minutes. */
export const RETENTION_CRON = '29 4 * * *';

export interface RetentionLimits {
  keepVersions: number | null;
  keepDays: number | null;
}

/** A release whose artifacts retention removes, and the reason recorded on each of them. */
export interface Expired {
  release: Release;
  reason: string;
}

/**
 * The retention rule, pure. Among the product's published and yanked releases (drafts never count and are
 * never touched), a release is kept when it is one of the newest `keepVersions` by semver precedence (per
 * product, across channels) OR was published less than `keepDays` days before `now`; with one limit set,
 * that one alone decides; with none, everything is kept. The newest published (not yanked) release of
 * each channel is always kept, so no channel loses its current download (a newer 2.0.0-rc.1 never takes
 * the files of the stable 1.9.0). Returns the releases not kept, newest first.
 */
export function expiredReleases(releases: readonly Release[], limits: RetentionLimits, now: Date): Expired[] {
  const { keepVersions, keepDays } = limits;
  if (keepVersions === null && keepDays === null) return [];
  const ranked = releases
    .filter((r) => r.status === 'published' || r.status === 'yanked')
    .map((release) => ({ release, semver: parseSemver(release.version) }))
    // Highest precedence first; versions equal but for build metadata by publication, newest first.
    .sort((a, b) => {
      if (a.semver && b.semver) {
        const byVersion = compareSemver(b.semver, a.semver);
        if (byVersion !== 0) return byVersion;
      } else if (a.semver || b.semver) return a.semver ? -1 : 1;
      return (b.release.publishedAt ?? '').localeCompare(a.release.publishedAt ?? '') || b.release.id.localeCompare(a.release.id);
    })
    .map((r) => r.release);
  const newestPerChannel = new Set<Release>();
  const channelsSeen = new Set<string>();
  for (const release of ranked) {
    if (release.status !== 'published' || channelsSeen.has(release.channel)) continue;
    channelsSeen.add(release.channel);
    newestPerChannel.add(release);
  }
  const cutoff = keepDays === null ? undefined : now.getTime() - keepDays * DAY_MS;
  const reason = reasonFor(limits);
  return ranked.flatMap((release, index) => {
    const amongNewest = keepVersions !== null && index < keepVersions;
    const recent = cutoff !== undefined && release.publishedAt !== null && Date.parse(release.publishedAt) > cutoff;
    return amongNewest || recent || newestPerChannel.has(release) ? [] : [{ release, reason }];
  });
}

function reasonFor({ keepVersions, keepDays }: RetentionLimits): string {
  const why: string[] = [];
  if (keepVersions !== null) why.push(keepVersions === 1 ? 'not the newest version' : `not among the newest ${keepVersions} versions`);
  if (keepDays !== null) why.push(`published more than ${keepDays} ${keepDays === 1 ? 'day' : 'days'} ago`);
  return `retention: ${why.join(' and ')}`;
}

export interface RetentionDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  products: ProductsService;
  releases: ReleasesService;
  artifacts: ArtifactsService;
}

/**
 * Release retention per product (its own module, above releases and artifacts, which know nothing of it): the settings (staff) and the run that removes the files of releases the
 * rule no longer keeps, on demand for one product or daily for every product with settings (job
 * `releases.retention`). A run only ever moves artifacts available → removed, one conditional UPDATE each
 * (ArtifactsService.removeFiles), so a second run, or two workers at once, remove nothing twice.
 */
export class RetentionService {
  constructor(private readonly deps: RetentionDeps) {}

  async get(ctx: RequestContext, productId: string): Promise<RetentionSettings> {
    const product = await this.deps.products.get(ctx, productId);
    return (await findRetention(this.deps.db, product.id)) ?? { productId: product.id, keepVersions: null, keepDays: null, updatedAt: null };
  }

  async set(ctx: RequestContext, productId: string, limits: RetentionLimits): Promise<RetentionSettings> {
    const product = await this.deps.products.get(ctx, productId);
    const after = { productId: product.id, keepVersions: limits.keepVersions, keepDays: limits.keepDays, updatedAt: this.deps.clock.now().toISOString() };
    await this.deps.db.transaction().execute(async (trx) => {
      const before = (await findRetention(trx, product.id)) ?? null;
      await saveRetention(trx, after);
      await this.deps.events.record(trx, ctx, { action: 'release.retention_changed', targetType: 'product', targetId: product.id, before, after });
    });
    return after;
  }

  /** Applies the product's settings now; the artifacts this run removed (none when it has no settings). */
  async apply(ctx: RequestContext, productId: string): Promise<Artifact[]> {
    const product = await this.deps.products.get(ctx, productId);
    const settings = await findRetention(this.deps.db, product.id);
    if (!settings) return [];
    const removed: Artifact[] = [];
    for (const { release, reason } of expiredReleases(await this.deps.releases.retainable(product.id), settings, this.deps.clock.now())) {
      removed.push(...(await this.deps.artifacts.removeFiles(ctx, release.id, reason)));
    }
    return removed;
  }

  /** Job `releases.retention`: every product with a limit set, as the system. */
  async sweep(): Promise<number> {
    let removed = 0;
    for (const productId of await productsWithRetention(this.deps.db)) removed += (await this.apply({ actor: SYSTEM_ACTOR }, productId)).length;
    return removed;
  }

  /** The daily retention run. */
  wiring(): ModuleWiring {
    return { jobs: [{ type: RETENTION_JOB, payload: SlotPayload, run: async () => void (await this.sweep()), leaseMs: 300_000, cron: RETENTION_CRON }] };
  }
}
