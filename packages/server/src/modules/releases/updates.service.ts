import { parseJson, toIso, type Db } from '../../db/database.js';
import { SYSTEM_ACTOR } from '../../http/access.js';
import type { Clock } from '../../lib/clock.js';
import type { ArtifactsService, ArtifactWithLink } from '../artifacts/artifacts.service.js';
import type { ClientLicense, LicensesService } from '../licenses/licenses.service.js';
import type { NoticeSource } from '../notifications/notices.service.js';
import type { ValidationCode } from '../validation/validation.js';
import type { ValidationService } from '../validation/validation.service.js';
import { entitles } from './entitlement.js';
import { findRelease, type Release } from './releases.repository.js';
import { releaseCandidates } from './updates.repository.js';
import { channelsFor, compareSemver, parseSemver, parseVersion, type Channel, type SemVer } from './semver.js';
import type { ModuleWiring } from '../../wiring.js';

export interface UpdateCheckInput {
  key: string;
  product: string;
  version: string;
  channel?: Channel;
  platform?: string;
  arch?: string;
}

/** A release as the update check offers it: with the artifacts for the asked platform, each with a download link. */
export type OfferedRelease = Release & { artifacts: ArtifactWithLink[] };

export interface UpdateCheckAnswer {
  updateAvailable: boolean;
  /** The license's validation code: VALID, GRACE_PERIOD or MAINTENANCE_EXPIRED when an update may be offered. */
  code: ValidationCode;
  ts: string;
  release?: OfferedRelease;
}

/** Artifacts marked `any` serve every platform; `any` or `universal` every architecture. */
function matches(artifact: { platform: string; arch: string }, platform: string | undefined, arch: string | undefined): boolean {
  const p = artifact.platform.toLowerCase();
  const a = artifact.arch.toLowerCase();
  return (platform === undefined || p === 'any' || p === platform.toLowerCase()) && (arch === undefined || a === 'any' || a === 'universal' || a === arch.toLowerCase());
}

/**
 * The client update check and the `NEW_RELEASE` notices: the newest published release above the app's
 * version, on its channel or a more stable one, that its license is entitled to (features; the
 * maintenance cut-off) and that has a file for its platform and architecture when it names them.
 */
export class UpdatesService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly licenses: LicensesService,
    private readonly validation: ValidationService,
    private readonly artifacts: ArtifactsService,
  ) {}

  async check(input: UpdateCheckInput, meta: { ip: string; userAgent: string | undefined }): Promise<UpdateCheckAnswer> {
    const current = parseVersion(input.version);
    const validation = await this.validation.validate({ key: input.key, product: input.product }, meta);
    const base = { code: validation.code, ts: validation.ts };
    if (!validation.valid || !validation.license) return { updateAvailable: false, ...base };
    const release = await this.newestFor(validation.license, current, input);
    return release ? { updateAvailable: true, release, ...base } : { updateAvailable: false, ...base };
  }

  /** Update checks add NEW_RELEASE notices to the notices feed. */
  wiring(): ModuleWiring {
    return { noticeSources: [this.noticeSource()] };
  }

  /** A notices source: tells an app that reports its version about the release it could update to. */
  noticeSource(): NoticeSource {
    return async (license, { version }) => {
      const current = version !== undefined ? parseSemver(version) : null;
      if (!current) return [];
      const { license: client } = await this.licenses.resolveId({ actor: SYSTEM_ACTOR }, license.id);
      const release = await this.newestFor(client, current, {});
      if (!release) return [];
      return [
        {
          id: `new_release:${license.id}:${release.version}`,
          code: 'NEW_RELEASE',
          severity: 'info',
          title: `Version ${release.version} is available`,
          message: `You are using ${version}. Version ${release.version} is available to you${release.publishedAt ? ` since ${release.publishedAt.slice(0, 10)}` : ''}.`,
          at: release.publishedAt,
          daysLeft: null,
          url: release.docLinks[0]?.url ?? null,
        },
      ];
    };
  }

  private async newestFor(license: ClientLicense, current: SemVer, want: { channel?: Channel; platform?: string; arch?: string }): Promise<OfferedRelease | undefined> {
    const now = this.clock.now();
    const channels = new Set<string>(channelsFor(want.channel ?? 'stable'));
    // A release without a file for the asked platform is not an update for it; without a platform, any release is.
    const narrowed = want.platform !== undefined || want.arch !== undefined;
    let best: { id: string; semver: SemVer } | undefined;
    for (const row of await releaseCandidates(this.db, license.productId, want.platform?.toLowerCase() ?? '', want.arch?.toLowerCase() ?? '')) {
      if (!channels.has(row.channel) || (narrowed && !row.has_file)) continue;
      const semver = parseSemver(row.version);
      if (!semver || compareSemver(semver, current) <= 0 || (best && compareSemver(semver, best.semver) <= 0)) continue;
      const entitlement = { requirements: parseJson<string[]>(row.requirements, []), publishedAt: toIso(row.published_at) };
      if (entitles(license, entitlement, now)) best = { id: row.id, semver };
    }
    if (!best) return undefined;
    const release = await findRelease(this.db, SYSTEM_ACTOR, best.id);
    if (!release) return undefined;
    const artifacts = (await this.artifacts.filesOf(release.id)).filter((a) => a.status === 'available' && matches(a, want.platform, want.arch));
    return { ...release, artifacts: artifacts.map((artifact) => this.artifacts.linkForLicense(artifact, license.id)) };
  }
}
