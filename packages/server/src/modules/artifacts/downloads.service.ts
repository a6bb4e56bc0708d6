import { timingSafeEqual } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import type { Keyring } from '../../crypto/keyring.js';
import type { Signer } from '../../crypto/signing.js';
import type { Db } from '../../db/database.js';
import { assertPartnerRight, isStaff, SYSTEM_ACTOR } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page, type PageOptions } from '../../lib/pagination.js';
import type { RequestContext } from '../events/events.service.js';
import { parseLicenseKey } from '../licenses/license-key.js';
import type { LicensesService } from '../licenses/licenses.service.js';
import type { ValidationService } from '../validation/validation.service.js';
import type { ProductsService } from '../products/products.service.js';
import { entitles } from '../releases/entitlement.js';
import type { Release, ReleasesService } from '../releases/releases.service.js';
import { downloadsOf, findArtifact, insertDownload, publicArtifact, type Artifact, type ArtifactRecord, type DownloadRecord } from './artifacts.repository.js';
import { BUNDLE_FORMAT, tarLength, tarStream, type TarEntry, type UpdateBundleManifest } from './bundle.js';
import type { ArtifactStorage } from './storage.js';

export interface DownloadLink {
  url: string;
  expiresAt: string;
  artifact: Artifact;
}

/** An artifact with a download link for one holder, as the update check offers it. */
export type ArtifactWithLink = Artifact & { url: string; expiresAt: string };

/** The parts of a download URL: `/v1/downloads/{artifactId}?e=&t=&u=&l=&s=`. */
export interface SignedLink {
  artifactId: string;
  e: number;
  t: string;
  u?: string;
  l?: string;
  s: string;
}

export interface DownloadMeta {
  ip: string;
  userAgent: string | undefined;
}

/** What a signed download link carries: the artifact, its expiry (epoch seconds) and who it was made for. */
interface LinkClaims {
  a: string;
  e: number;
  t: string;
  i: string | null;
  l: string | null;
}

const LINK_PURPOSE = 'download-link';

export interface DownloadsDeps {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  signer: Signer;
  releases: ReleasesService;
  products: ProductsService;
  licenses: LicensesService;
  validation: ValidationService;
  storage: ArtifactStorage;
  /** The server's public base URL: download links point at it. */
  publicUrl: string;
  linkTtlSeconds: number;
}

/**
 * Downloads of release artifacts: entitled short-lived signed links (for signed-in actors, for a license
 * key, for the update check), serving the file or an offline update bundle, and the download record.
 */
export class DownloadsService {
  constructor(private readonly deps: DownloadsDeps) {}

  /** A link for a signed-in actor: staff always; a partner with the downloads right on the product; a customer user whose organization holds an entitling license. */
  async createLink(ctx: RequestContext, artifactId: string): Promise<DownloadLink> {
    const artifact = await findArtifact(this.deps.db, artifactId);
    if (!artifact) throw notFound('Artifact', artifactId);
    // Customers see only published releases of products they hold a license for: 404 otherwise.
    const release = await this.deps.releases.get(ctx, artifact.releaseId).catch((error: unknown) => {
      throw error instanceof AppError && error.code === 'NOT_FOUND' ? notFound('Artifact', artifactId) : error;
    });
    if (artifact.status === 'removed') throw gone(artifact);
    if (isStaff(ctx.actor)) return this.link(artifact, { t: 'staff', i: ctx.actor.id, l: null });
    // A partner (the release is of a product of its groups: else 404 above) under its downloads right, published releases only.
    if (ctx.actor.scope.partnerId !== undefined) {
      assertPartnerRight(ctx.actor, release.productId, 'downloads');
      if (release.status !== 'published') throw notEntitled();
      return this.link(artifact, { t: ctx.actor.type, i: ctx.actor.id, l: null });
    }
    if (ctx.actor.scope.customerId === undefined || release.status !== 'published') throw notEntitled();
    const licenses = await this.deps.licenses.list(ctx, { productId: release.productId, customerId: ctx.actor.scope.customerId, limit: 100 });
    const now = this.deps.clock.now();
    for (const candidate of licenses.data) {
      if (candidate.status === 'revoked' || candidate.status === 'suspended' || candidate.status === 'pending') continue;
      // The client view carries the policy's expiryEnds, which the maintenance cut-off needs.
      const { license } = await this.deps.licenses.resolveId(ctx, candidate.id);
      if (entitles(license, release, now)) return this.link(artifact, { t: ctx.actor.type, i: ctx.actor.id, l: license.id });
    }
    throw notEntitled();
  }

  /** A link for a client application holding a license key (no account). */
  async createLinkForKey(artifactId: string, key: string, meta: { ip: string; userAgent: string | undefined }): Promise<DownloadLink> {
    const parsed = parseLicenseKey(key);
    if (!parsed.ok) throw new AppError('VALIDATION_FAILED', `Malformed license key: ${parsed.reason}`, { fields: { key: parsed.reason } });
    const artifact = await findArtifact(this.deps.db, artifactId);
    const release = artifact && (await this.deps.releases.get({ actor: SYSTEM_ACTOR }, artifact.releaseId));
    if (!artifact || !release || release.status !== 'published') throw notFound('Artifact', artifactId);
    if (artifact.status === 'removed') throw gone(artifact);
    const product = await this.deps.products.get({ actor: SYSTEM_ACTOR }, release.productId);
    const result = await this.deps.validation.validate({ key, product: product.code }, meta);
    if (!result.valid || !result.license || !entitles(result.license, release, this.deps.clock.now())) throw notEntitled(result.valid ? undefined : result.code);
    return this.link(artifact, { t: 'license', i: null, l: result.license.id });
  }

  /** An artifact with a download link for a license whose entitlement the caller has checked (the update check). */
  linkForLicense(artifact: ArtifactRecord, licenseId: string): ArtifactWithLink {
    const { url, expiresAt } = this.link(artifact, { t: 'license', i: null, l: licenseId });
    return { ...publicArtifact(artifact), url, expiresAt };
  }

  /**
   * Checks a link and opens the file. Tampered or expired: 403 DOWNLOAD_LINK_INVALID. The download is
   * recorded only once every byte of the file has passed to the response (see `recordedWhenServed`): a
   * storage error, a short file or a client that goes away leaves no record.
   */
  async open(link: SignedLink, meta: DownloadMeta, options: { head?: boolean } = {}): Promise<{ artifact: Artifact; stream: Readable; size: number }> {
    const { artifact, claims } = await this.authorize(link);
    // A HEAD checks the link and learns the headers; it reads nothing and is no download.
    if (options.head) return { artifact: publicArtifact(artifact), stream: Readable.from([]), size: artifact.size };
    const file = await this.deps.storage.get(artifact.storageKey);
    const stream = recordedWhenServed(file.stream, artifact.size, () => this.recordDownload(artifact, claims, meta));
    return { artifact: publicArtifact(artifact), stream, size: artifact.size };
  }

  /**
   * The same entitlement as `open`, served as an offline update bundle: a tar of `manifest.json`, its
   * Ed25519 signature `manifest.sig`, and the file under `payload/<fileName>`, streamed from storage.
   * The artifact signature in the manifest is made again with the current key (Ed25519 is deterministic,
   * so it equals the stored one while the key is the same), so one key verifies the whole bundle.
   */
  async openBundle(link: SignedLink, meta: DownloadMeta, options: { head?: boolean } = {}): Promise<{ fileName: string; stream: Readable; size: number }> {
    const { artifact, claims, release } = await this.authorize(link);
    const product = await this.deps.products.get({ actor: SYSTEM_ACTOR }, release.productId);
    const now = this.deps.clock.now();
    const manifest: UpdateBundleManifest = {
      format: BUNDLE_FORMAT,
      createdAt: now.toISOString(),
      keyId: this.deps.signer.keyId,
      product: { id: product.id, code: product.code, name: product.name },
      release: { id: release.id, version: release.version, channel: release.channel, publishedAt: release.publishedAt, notes: release.notes },
      artifact: {
        id: artifact.id,
        fileName: artifact.fileName,
        platform: artifact.platform,
        arch: artifact.arch,
        fileType: artifact.fileType,
        size: artifact.size,
        sha256: artifact.sha256,
        signature: this.deps.signer.sign(artifact.sha256),
      },
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2), 'utf8');
    const signature = Buffer.from(this.deps.signer.sign(manifestBytes), 'utf8');
    const entries: TarEntry[] = [
      { name: 'manifest.json', size: manifestBytes.length, body: manifestBytes },
      { name: 'manifest.sig', size: signature.length, body: signature },
      { name: `payload/${artifact.fileName}`, size: artifact.size, body: () => file.stream },
    ];
    const size = tarLength(entries, now);
    const fileName = `${artifact.fileName}.khbundle.tar`;
    if (options.head) return { fileName, stream: Readable.from([]), size };
    const file = await this.deps.storage.get(artifact.storageKey);
    const stream = recordedWhenServed(tarStream(entries, now), size, () => this.recordDownload(artifact, claims, meta));
    stream.once('close', () => file.stream.destroy());
    return { fileName, stream, size };
  }

  private async authorize(link: SignedLink): Promise<{ artifact: ArtifactRecord; claims: LinkClaims; release: Release }> {
    // Unknown ids are a 404 like everywhere else (ids are random; the link's HMAC guards the rest).
    const artifact = await findArtifact(this.deps.db, link.artifactId);
    if (!artifact) throw notFound('Artifact', link.artifactId);
    // A link made before retention removed the file: say so rather than "ask for a new one".
    if (artifact.status === 'removed') throw gone(artifact);
    const claims = this.verify(link);
    const release = await this.deps.releases.get({ actor: SYSTEM_ACTOR }, artifact.releaseId);
    // A release yanked (or turned back to draft) after the link was made is not served to customers.
    if (claims.t !== 'staff' && release.status !== 'published') throw notEntitled();
    return { artifact, claims, release };
  }

  private async recordDownload(artifact: ArtifactRecord, claims: LinkClaims, meta: DownloadMeta): Promise<void> {
    await insertDownload(this.deps.db, {
      id: newId('dl'),
      artifactId: artifact.id,
      actorType: claims.t,
      actorId: claims.i,
      licenseId: claims.l,
      ip: meta.ip,
      userAgent: meta.userAgent ?? null,
      createdAt: this.deps.clock.now().toISOString(),
    });
  }

  /** The download record of an artifact (staff). */
  async list(ctx: RequestContext, artifactId: string, options: PageOptions): Promise<Page<DownloadRecord>> {
    const artifact = await findArtifact(this.deps.db, artifactId);
    if (!artifact) throw notFound('Artifact', artifactId);
    await this.deps.releases.get(ctx, artifact.releaseId);
    return page(await downloadsOf(this.deps.db, artifactId, options.limit, options.cursor), options.limit);
  }

  private link(artifact: ArtifactRecord, who: Omit<LinkClaims, 'a' | 'e'>): DownloadLink {
    const claims: LinkClaims = { a: artifact.id, e: Math.floor(this.deps.clock.now().getTime() / 1000) + this.deps.linkTtlSeconds, ...who };
    const query = new URLSearchParams({ e: String(claims.e), t: claims.t, ...(claims.i ? { u: claims.i } : {}), ...(claims.l ? { l: claims.l } : {}), s: this.mac(claims) });
    return {
      url: `${this.deps.publicUrl.replace(/\/$/, '')}/v1/downloads/${artifact.id}?${query}`,
      expiresAt: new Date(claims.e * 1000).toISOString(),
      artifact: publicArtifact(artifact),
    };
  }

  /** HMAC (key derived from the master key) over every claim, so none can be changed or moved to another artifact. */
  private mac(c: LinkClaims): string {
    return this.deps.keyring.digest(LINK_PURPOSE, [c.a, c.e, c.t, c.i ?? '', c.l ?? ''].join('\n'));
  }

  private verify(link: SignedLink): LinkClaims {
    const claims: LinkClaims = { a: link.artifactId, e: link.e, t: link.t, i: link.u ?? null, l: link.l ?? null };
    const expected = Buffer.from(this.mac(claims));
    const given = Buffer.from(link.s);
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || claims.e * 1000 <= this.deps.clock.now().getTime()) {
      throw new AppError('DOWNLOAD_LINK_INVALID', 'The download link is invalid or has expired; ask for a new one');
    }
    return claims;
  }
}

/**
 * Passes `source` through, counting bytes, and records the download when the last byte of the file is
 * about to go out: that chunk is held back until the record is written, so a client never holds the whole
 * file without its record (a failed record fails the download). The response pipes this stream: when the
 * storage stream fails, the file is short or long, or the client goes away (Fastify destroys the stream it
 * was sending), that point is never reached and nothing is recorded.
 */
function recordedWhenServed(source: Readable, size: number, record: () => Promise<void>): Readable {
  let seen = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > size) return done(new Error(`storage returned more than the ${size} bytes of the file`));
      if (seen < size) return done(null, chunk);
      record().then(() => done(null, chunk), done);
    },
    flush(done) {
      if (seen !== size) return done(new Error(`storage returned ${seen} of the ${size} bytes of the file`));
      if (size === 0) return void record().then(() => done(), done);
      done();
    },
  });
  pipeline(source, counted, () => {
    // Errors reach the response through `counted` (pipeline destroys it); nothing else to do here.
  });
  return counted;
}

const gone = (artifact: Artifact) =>
  new AppError('ARTIFACT_REMOVED', `The file of artifact ${artifact.id} was removed (${artifact.removedReason ?? 'no reason recorded'})`, {
    removedAt: artifact.removedAt,
    removedReason: artifact.removedReason,
  });

const notEntitled = (code?: string) =>
  new AppError('NOT_ENTITLED', code ? `The license does not validate (${code})` : 'No license entitles you to this release (product and required features)');
