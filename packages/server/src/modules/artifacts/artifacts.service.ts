import { Readable } from 'node:stream';
import type { Signer } from '../../crypto/signing.js';
import type { Db, Trx } from '../../db/database.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page, type PageOptions } from '../../lib/pagination.js';
import type { ModuleWiring } from '../../wiring.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { ReleasesService } from '../releases/releases.service.js';
import {
  artifactsOf,
  availableArtifactsOf,
  deleteArtifactRow,
  listArtifactPage,
  findArtifact,
  insertArtifact,
  markArtifactRemoved,
  publicArtifact,
  type Artifact,
  type ArtifactRecord,
} from './artifacts.repository.js';
import type { ArtifactStorage } from './storage.js';

export type { Artifact, ArtifactRecord } from './artifacts.repository.js';

export interface UploadInput {
  platform: string;
  arch: string;
  fileType: string;
  fileName: string;
  /** Expected hex SHA-256: the upload is refused (and nothing kept) when the bytes differ. */
  sha256?: string;
}

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

export interface ArtifactsDeps {
  db: Db;
  clock: Clock;
  signer: Signer;
  events: EventsService;
  releases: ReleasesService;
  storage: ArtifactStorage;
  /** The largest upload accepted, in bytes. */
  maxBytes: number;
  /** Told about a file that could not be deleted after its artifact was removed (the row stays removed). */
  onError?: (error: unknown, message: string) => void;
}

/**
 * The files of releases: streamed upload into the storage driver (hash while writing, row only after a
 * complete and verified write), deletion (alone, or with a deleted draft release) and retention's removal
 * of files. Download links and downloads are `DownloadsService`.
 */
export class ArtifactsService {
  constructor(private readonly deps: ArtifactsDeps) {}

  /** A deleted draft release takes its artifacts with it. */
  wiring(): ModuleWiring {
    return { releaseDeleteSteps: [(trx, ctx, release) => this.deleteAllOf(trx, ctx, release.id)] };
  }

  /** A deleted draft's artifacts: rows and events in the release's transaction, the files after its commit. */
  private async deleteAllOf(trx: Trx, ctx: RequestContext, releaseId: string): Promise<() => Promise<void>> {
    const artifacts = await artifactsOf(trx, releaseId);
    for (const artifact of artifacts) {
      await deleteArtifactRow(trx, artifact.id);
      await this.deps.events.record(trx, ctx, { action: 'artifact.deleted', targetType: 'artifact', targetId: artifact.id, before: publicArtifact(artifact) });
    }
    return async () => {
      for (const artifact of artifacts) {
        await this.deps.storage.delete(artifact.storageKey).catch((error: unknown) => {
          this.deps.onError?.(error, `artifact ${artifact.id} was deleted with its release but its file (storage key ${artifact.storageKey}) could not be deleted`);
        });
      }
    };
  }

  /** `body` is the raw request stream (the route's parser hands it over unread); anything else is a 415. */
  async upload(ctx: RequestContext, releaseId: string, input: UploadInput, body: unknown): Promise<Artifact> {
    checkFileName(input.fileName);
    const release = await this.deps.releases.get(ctx, releaseId);
    if (!(body instanceof Readable)) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as the request body with Content-Type: application/octet-stream');
    const stored = await this.deps.storage.put(body, { maxBytes: this.deps.maxBytes });
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
        signature: this.deps.signer.sign(stored.sha256),
        keyId: this.deps.signer.keyId,
        status: 'available',
        createdAt: this.deps.clock.now().toISOString(),
        removedAt: null,
        removedReason: null,
        storageKey: stored.key,
      };
      await this.deps.db.transaction().execute(async (trx) => {
        await insertArtifact(trx, artifact);
        await this.deps.events.record(trx, ctx, { action: 'artifact.uploaded', targetType: 'artifact', targetId: artifact.id, after: publicArtifact(artifact) });
      });
      return publicArtifact(artifact);
    } catch (error) {
      await this.deps.storage.delete(stored.key);
      throw error;
    }
  }

  async list(ctx: RequestContext, releaseId: string, options: PageOptions): Promise<Page<Artifact>> {
    const release = await this.deps.releases.get(ctx, releaseId);
    return page((await listArtifactPage(this.deps.db, release.id, options.limit, options.cursor)).map(publicArtifact), options.limit);
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    const artifact = await findArtifact(this.deps.db, id);
    if (!artifact) throw notFound('Artifact', id);
    const deleted = await this.deps.db.transaction().execute(async (trx) => {
      if (!(await deleteArtifactRow(trx, id))) return false;
      await this.deps.events.record(trx, ctx, { action: 'artifact.deleted', targetType: 'artifact', targetId: id, before: publicArtifact(artifact) });
      return true;
    });
    if (!deleted) throw notFound('Artifact', id);
    await this.deps.storage.delete(artifact.storageKey);
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
    for (const artifact of await artifactsOf(this.deps.db, releaseId)) {
      if (artifact.status !== 'available') continue;
      const at = this.deps.clock.now().toISOString();
      const after: ArtifactRecord = { ...artifact, status: 'removed', removedAt: at, removedReason: reason };
      const won = await this.deps.db.transaction().execute(async (trx) => {
        if (!(await markArtifactRemoved(trx, artifact.id, at, reason))) return false;
        await this.deps.events.record(trx, ctx, { action: 'artifact.removed', targetType: 'artifact', targetId: artifact.id, before: publicArtifact(artifact), after: publicArtifact(after) });
        return true;
      });
      if (!won) continue;
      removed.push(publicArtifact(after));
      await this.deps.storage.delete(artifact.storageKey).catch((error: unknown) => {
        this.deps.onError?.(error, `artifact ${artifact.id} was removed but its file (storage key ${artifact.storageKey}) could not be deleted`);
      });
    }
    return removed;
  }

  /** Every artifact row of a release, with its storage key (the update check filters and links them). */
  async filesOf(releaseId: string): Promise<ArtifactRecord[]> {
    return artifactsOf(this.deps.db, releaseId);
  }

  /**
   * The available artifacts of the given releases, for a platform and arch when named (`any` serves every
   * platform, `any`/`universal` every architecture): the update check reads them once for all its candidates.
   */
  async availableFiles(releaseIds: string[], want: { platform?: string; arch?: string } = {}): Promise<ArtifactRecord[]> {
    return availableArtifactsOf(this.deps.db, releaseIds, want.platform?.toLowerCase(), want.arch?.toLowerCase());
  }
}
