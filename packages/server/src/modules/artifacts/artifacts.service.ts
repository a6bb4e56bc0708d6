import { timingSafeEqual } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import type { Keyring } from '../../crypto/keyring.js';
import type { Signer } from '../../crypto/signing.js';
import type { Db, Trx } from '../../db/database.js';
import { isStaff, SYSTEM_ACTOR } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page, type PageOptions } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import { parseLicenseKey } from '../licenses/license-key.js';
import type { LicensesService } from '../licenses/licenses.service.js';
import type { ValidationService } from '../validation/validation.service.js';
import type { ProductsService } from '../products/products.service.js';
import { entitles } from '../releases/entitlement.js';
import type { Release, ReleasesService } from '../releases/releases.service.js';
import {
  artifactsOf,
  deleteArtifactRow,
  downloadsOf,
  listArtifactPage,
  findArtifact,
  insertArtifact,
  insertDownload,
  markArtifactRemoved,
  publicArtifact,
  type Artifact,
  type ArtifactRecord,
  type DownloadRecord,
} from './artifacts.repository.js';
import { BUNDLE_FORMAT, tarLength, tarStream, type TarEntry, type UpdateBundleManifest } from './bundle.js';
import type { ArtifactStorage } from './storage.js';

export type { Artifact } from './artifacts.repository.js';

export interface UploadInput {
  platform: string;
  arch: string;
  fileType: string;
  fileName: string;
  /** Expected hex SHA-256: the upload is refused (and nothing kept) when the bytes differ. */
  sha256?: string;
}

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

/**
 * A file name as offered to downloaders: one path component, well-formed Unicode (any script, emoji,
 * combining marks), no control characters, no bidirectional controls or line separators, nothing a
 * file system could read as a path. The download's Content-Disposition encodes it (`contentDisposition`).
 */
export function checkFileName(name: string): string {
  const bad = (why: string) => new AppError('INVALID_FILE_NAME', `Invalid file name: ${why}`, { fields: { fileName: why } });
  if (name.length === 0 || name.length > 255) throw bad('must be 1 to 255 characters');
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(name)) throw bad('must be valid Unicode (no lone surrogates)');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) throw bad('must not contain control characters');
  // A name that displays differently from what it is ("invoice\u202Eexe.pdf" shows as "invoicefdp.exe"),
  // or that a log or a header reads as two lines.
  if (/[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/.test(name)) throw bad('must not contain bidirectional control characters');
  if (/[\u2028\u2029]/.test(name)) throw bad('must not contain line or paragraph separators');
  if (/[/\\:]/.test(name)) throw bad('must be a plain file name, without / \\ or :');
  if (name === '.' || name === '..' || name.startsWith('.')) throw bad('must not start with a dot');
  if (name.trim() !== name) throw bad('must not start or end with white space');
  return name;
}

/**
 * Release artifacts: streamed upload into the storage driver (hash while writing, row only after a
 * complete and verified write), entitled short-lived download links, and the download record.
 */
export class ArtifactsService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly keyring: Keyring,
    private readonly signer: Signer,
    private readonly events: EventsService,
    private readonly releases: ReleasesService,
    private readonly products: ProductsService,
    private readonly licenses: LicensesService,
    private readonly validation: ValidationService,
    private readonly storage: ArtifactStorage,
    private readonly options: {
      maxBytes: number;
      publicUrl: string;
      linkTtlSeconds: number;
      /** Told about a file that could not be deleted after its artifact was removed (the row stays removed). */
      onError?: (error: unknown, message: string) => void;
    },
  ) {
    releases.onDelete((trx, ctx, release) => this.deleteAllOf(trx, ctx, release.id));
  }

  /** A deleted draft's artifacts: rows and events in the release's transaction, the files after its commit. */
  private async deleteAllOf(trx: Trx, ctx: RequestContext, releaseId: string): Promise<() => Promise<void>> {
    const artifacts = await artifactsOf(trx, releaseId);
    for (const artifact of artifacts) {
      await deleteArtifactRow(trx, artifact.id);
      await this.events.record(trx, ctx, { action: 'artifact.deleted', targetType: 'artifact', targetId: artifact.id, before: publicArtifact(artifact) });
    }
    return async () => {
      for (const artifact of artifacts) {
        await this.storage.delete(artifact.storageKey).catch((error: unknown) => {
          this.options.onError?.(error, `artifact ${artifact.id} was deleted with its release but its file (storage key ${artifact.storageKey}) could not be deleted`);
        });
      }
    };
  }

  /** `body` is the raw request stream (the route's parser hands it over unread); anything else is a 415. */
  async upload(ctx: RequestContext, releaseId: string, input: UploadInput, body: unknown): Promise<Artifact> {
    checkFileName(input.fileName);
    const release = await this.releases.get(ctx, releaseId);
    if (!(body instanceof Readable)) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as the request body with Content-Type: application/octet-stream');
    const stored = await this.storage.put(body, { maxBytes: this.options.maxBytes });
    try {
      if (input.sha256 !== undefined && input.sha256.toLowerCase() !== stored.sha256) {
        throw new AppError('CHECKSUM_MISMATCH', `The uploaded bytes have SHA-256 ${stored.sha256}, not the expected ${input.sha256.toLowerCase()}; nothing was kept`, {
          fields: { sha256: 'does not match the uploaded bytes' },
        });
      }
      const artifact: ArtifactRecord = {
        id: newId('art'),
        releaseId: release.id,
        platform: input.platform,
        arch: input.arch,
        fileType: input.fileType,
        fileName: input.fileName,
        size: stored.size,
        sha256: stored.sha256,
        signature: this.signer.sign(stored.sha256),
        keyId: this.signer.keyId,
        status: 'available',
        createdAt: this.clock.now().toISOString(),
        removedAt: null,
        removedReason: null,
        storageKey: stored.key,
      };
      await this.db.transaction().execute(async (trx) => {
        await insertArtifact(trx, artifact);
        await this.events.record(trx, ctx, { action: 'artifact.uploaded', targetType: 'artifact', targetId: artifact.id, after: publicArtifact(artifact) });
      });
      return publicArtifact(artifact);
    } catch (error) {
      await this.storage.delete(stored.key);
      throw error;
    }
  }

  async list(ctx: RequestContext, releaseId: string, options: PageOptions): Promise<Page<Artifact>> {
    const release = await this.releases.get(ctx, releaseId);
    return page((await listArtifactPage(this.db, release.id, options.limit, options.cursor)).map(publicArtifact), options.limit);
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    const artifact = await findArtifact(this.db, id);
    if (!artifact) throw notFound('Artifact', id);
    const deleted = await this.db.transaction().execute(async (trx) => {
      if (!(await deleteArtifactRow(trx, id))) return false;
      await this.events.record(trx, ctx, { action: 'artifact.deleted', targetType: 'artifact', targetId: id, before: publicArtifact(artifact) });
      return true;
    });
    if (!deleted) throw notFound('Artifact', id);
    await this.storage.delete(artifact.storageKey);
  }

  /**
   * Removes the files of a release's artifacts that are still available, keeping their rows (status
   * `removed`, when, `reason`; audit `artifact.removed`): retention. Each artifact is one conditional
   * UPDATE (`WHERE status = 'available'`) with its event, so runs that overlap remove it once. The file is
   * deleted only after that commit; when deleting fails the row stays removed (downloads answer 410
   * either way) and the failure is logged with the storage key.
   */
  async removeFiles(ctx: RequestContext, releaseId: string, reason: string): Promise<Artifact[]> {
    const removed: Artifact[] = [];
    for (const artifact of await artifactsOf(this.db, releaseId)) {
      if (artifact.status !== 'available') continue;
      const at = this.clock.now().toISOString();
      const after: ArtifactRecord = { ...artifact, status: 'removed', removedAt: at, removedReason: reason };
      const won = await this.db.transaction().execute(async (trx) => {
        if (!(await markArtifactRemoved(trx, artifact.id, at, reason))) return false;
        await this.events.record(trx, ctx, { action: 'artifact.removed', targetType: 'artifact', targetId: artifact.id, before: publicArtifact(artifact), after: publicArtifact(after) });
        return true;
      });
      if (!won) continue;
      removed.push(publicArtifact(after));
      await this.storage.delete(artifact.storageKey).catch((error: unknown) => {
        this.options.onError?.(error, `artifact ${artifact.id} was removed but its file (storage key ${artifact.storageKey}) could not be deleted`);
      });
    }
    return removed;
  }

  /** A link for a signed-in actor: staff always; a customer user whose organization holds an entitling license. */
  async createLink(ctx: RequestContext, artifactId: string): Promise<DownloadLink> {
    const artifact = await findArtifact(this.db, artifactId);
    if (!artifact) throw notFound('Artifact', artifactId);
    // Customers see only published releases of products they hold a license for: 404 otherwise.
    const release = await this.releases.get(ctx, artifact.releaseId).catch((error: unknown) => {
      throw error instanceof AppError && error.code === 'NOT_FOUND' ? notFound('Artifact', artifactId) : error;
    });
    if (artifact.status === 'removed') throw gone(artifact);
    if (isStaff(ctx.actor)) return this.link(artifact, { t: 'staff', i: ctx.actor.id, l: null });
    if (ctx.actor.scope.customerId === undefined || release.status !== 'published') throw notEntitled();
    const licenses = await this.licenses.list(ctx, { productId: release.productId, customerId: ctx.actor.scope.customerId, limit: 100 });
    const now = this.clock.now();
    for (const candidate of licenses.data) {
      if (candidate.status === 'revoked' || candidate.status === 'suspended' || candidate.status === 'pending') continue;
      // The client view carries the policy's expiryEnds, which the maintenance cut-off needs.
      const { license } = await this.licenses.resolveId(ctx, candidate.id);
      if (entitles(license, release, now)) return this.link(artifact, { t: ctx.actor.type, i: ctx.actor.id, l: license.id });
    }
    throw notEntitled();
  }

  /** A link for a client application holding a license key (no account). */
  async createLinkForKey(artifactId: string, key: string, meta: { ip: string; userAgent: string | undefined }): Promise<DownloadLink> {
    const parsed = parseLicenseKey(key);
    if (!parsed.ok) throw new AppError('VALIDATION_FAILED', `Malformed license key: ${parsed.reason}`, { fields: { key: parsed.reason } });
    const artifact = await findArtifact(this.db, artifactId);
    const release = artifact && (await this.releases.get({ actor: SYSTEM_ACTOR }, artifact.releaseId));
    if (!artifact || !release || release.status !== 'published') throw notFound('Artifact', artifactId);
    if (artifact.status === 'removed') throw gone(artifact);
    const product = await this.products.get({ actor: SYSTEM_ACTOR }, release.productId);
    const result = await this.validation.validate({ key, product: product.code }, meta);
    if (!result.valid || !result.license || !entitles(result.license, release, this.clock.now())) throw notEntitled(result.valid ? undefined : result.code);
    return this.link(artifact, { t: 'license', i: null, l: result.license.id });
  }

  /** Every artifact row of a release, with its storage key (the update check filters and links them). */
  async filesOf(releaseId: string): Promise<ArtifactRecord[]> {
    return artifactsOf(this.db, releaseId);
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
    const file = await this.storage.get(artifact.storageKey);
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
    const product = await this.products.get({ actor: SYSTEM_ACTOR }, release.productId);
    const now = this.clock.now();
    const manifest: UpdateBundleManifest = {
      format: BUNDLE_FORMAT,
      createdAt: now.toISOString(),
      keyId: this.signer.keyId,
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
        signature: this.signer.sign(artifact.sha256),
      },
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2), 'utf8');
    const signature = Buffer.from(this.signer.sign(manifestBytes), 'utf8');
    const entries: TarEntry[] = [
      { name: 'manifest.json', size: manifestBytes.length, body: manifestBytes },
      { name: 'manifest.sig', size: signature.length, body: signature },
      { name: `payload/${artifact.fileName}`, size: artifact.size, body: () => file.stream },
    ];
    const size = tarLength(entries, now);
    const fileName = `${artifact.fileName}.khbundle.tar`;
    if (options.head) return { fileName, stream: Readable.from([]), size };
    const file = await this.storage.get(artifact.storageKey);
    const stream = recordedWhenServed(tarStream(entries, now), size, () => this.recordDownload(artifact, claims, meta));
    stream.once('close', () => file.stream.destroy());
    return { fileName, stream, size };
  }

  private async authorize(link: SignedLink): Promise<{ artifact: ArtifactRecord; claims: LinkClaims; release: Release }> {
    // Unknown ids are a 404 like everywhere else (ids are random; the link's HMAC guards the rest).
    const artifact = await findArtifact(this.db, link.artifactId);
    if (!artifact) throw notFound('Artifact', link.artifactId);
    // A link made before retention removed the file: say so rather than "ask for a new one".
    if (artifact.status === 'removed') throw gone(artifact);
    const claims = this.verify(link);
    const release = await this.releases.get({ actor: SYSTEM_ACTOR }, artifact.releaseId);
    // A release yanked (or turned back to draft) after the link was made is not served to customers.
    if (claims.t !== 'staff' && release.status !== 'published') throw notEntitled();
    return { artifact, claims, release };
  }

  private async recordDownload(artifact: ArtifactRecord, claims: LinkClaims, meta: DownloadMeta): Promise<void> {
    await insertDownload(this.db, {
      id: newId('dl'),
      artifactId: artifact.id,
      actorType: claims.t,
      actorId: claims.i,
      licenseId: claims.l,
      ip: meta.ip,
      userAgent: meta.userAgent ?? null,
      createdAt: this.clock.now().toISOString(),
    });
  }

  /** The download record of an artifact (staff). */
  async downloads(ctx: RequestContext, artifactId: string, options: PageOptions): Promise<Page<DownloadRecord>> {
    const artifact = await findArtifact(this.db, artifactId);
    if (!artifact) throw notFound('Artifact', artifactId);
    await this.releases.get(ctx, artifact.releaseId);
    return page(await downloadsOf(this.db, artifactId, options.limit, options.cursor), options.limit);
  }

  private link(artifact: ArtifactRecord, who: Omit<LinkClaims, 'a' | 'e'>): DownloadLink {
    const claims: LinkClaims = { a: artifact.id, e: Math.floor(this.clock.now().getTime() / 1000) + this.options.linkTtlSeconds, ...who };
    const query = new URLSearchParams({ e: String(claims.e), t: claims.t, ...(claims.i ? { u: claims.i } : {}), ...(claims.l ? { l: claims.l } : {}), s: this.mac(claims) });
    return {
      url: `${this.options.publicUrl.replace(/\/$/, '')}/v1/downloads/${artifact.id}?${query}`,
      expiresAt: new Date(claims.e * 1000).toISOString(),
      artifact: publicArtifact(artifact),
    };
  }

  /** HMAC (key derived from the master key) over every claim, so none can be changed or moved to another artifact. */
  private mac(c: LinkClaims): string {
    return this.keyring.digest(LINK_PURPOSE, [c.a, c.e, c.t, c.i ?? '', c.l ?? ''].join('\n'));
  }

  private verify(link: SignedLink): LinkClaims {
    const claims: LinkClaims = { a: link.artifactId, e: link.e, t: link.t, i: link.u ?? null, l: link.l ?? null };
    const expected = Buffer.from(this.mac(claims));
    const given = Buffer.from(link.s);
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || claims.e * 1000 <= this.clock.now().getTime()) {
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
