import { SYSTEM_ACTOR } from '../../http/access.js';
import type { Clock } from '../../lib/clock.js';
import type { ArtifactsService } from '../artifacts/artifacts.service.js';
import type { ArtifactWithLink, DownloadsService } from '../artifacts/downloads.service.js';
import type { ClientLicense, LicensesService } from '../licenses/licenses.service.js';
import type { NoticeSource } from '../notifications/notices.service.js';
import type { ValidationCode } from '../validation/validation.js';
import type { ValidationService } from '../validation/validation.service.js';
import { entitles } from '../releases/entitlement.js';
import type { Release, ReleaseCandidate, ReleasesService } from '../releases/releases.service.js';
import { channelsFor, compareSemver, parseSemver, parseVersion, type Channel, type SemVer } from '../releases/semver.js';
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

export interface UpdatesDeps {
  clock: Clock;
  licenses: LicensesService;
  validation: ValidationService;
  releases: ReleasesService;
  artifacts: ArtifactsService;
  downloads: DownloadsService;
}

/**
 * The client update check and the `NEW_RELEASE` notices: the newest published release above the app's
 * version, on its channel or a more stable one, that its license is entitled to (features; the
 * maintenance cut-off) and that has a file for its platform and architecture when it names them.
 */
export class UpdatesService {
  constructor(private readonly deps: UpdatesDeps) {}

  async check(input: UpdateCheckInput, meta: { ip: string; userAgent: string | undefined }): Promise<UpdateCheckAnswer> {
    const current = parseVersion(input.version);
    // Logged as a validation, with the version the app runs (the versions report reads it).
    const validation = await this.deps.validation.validate({ key: input.key, product: input.product, version: input.version }, meta);
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
      const { license: client } = await this.deps.licenses.resolveId({ actor: SYSTEM_ACTOR }, license.id);
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
    const { clock, releases, artifacts, downloads } = this.deps;
    const now = clock.now();
    const channels = new Set<string>(channelsFor(want.channel ?? 'stable'));
    const candidates: { release: ReleaseCandidate; semver: SemVer }[] = [];
    for (const release of await releases.publishedCandidates(license.productId)) {
      const semver = parseSemver(release.version);
      if (channels.has(release.channel) && semver && compareSemver(semver, current) > 0 && entitles(license, release, now)) candidates.push({ release, semver });
    }
    // Newest first; the sort is stable, so of versions equal in precedence (build metadata) the first read wins.
    const newer = candidates.sort((a, b) => compareSemver(b.semver, a.semver)).map((c) => c.release);
    if (newer.length === 0) return undefined;
    // A release without a file for the asked platform is not an update for it; without a platform, any release is.
    const narrowed = want.platform !== undefined || want.arch !== undefined;
    const files = await artifacts.availableFiles(narrowed ? newer.map((release) => release.id) : [newer[0]!.id], want);
    const best = narrowed ? newer.find((release) => files.some((file) => file.releaseId === release.id)) : newer[0];
    const release = best && (await releases.find({ actor: SYSTEM_ACTOR }, best.id));
    if (!release) return undefined;
    const offered = files.filter((file) => file.releaseId === release.id);
    return { ...release, artifacts: offered.map((artifact) => downloads.linkForLicense(artifact, license.id)) };
  }
}
