import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { ArtifactsTable } from './artifacts.tables.js';

export const ARTIFACT_STATUSES = ['available', 'removed'] as const;
export type ArtifactStatus = (typeof ARTIFACT_STATUSES)[number];

export interface Artifact {
  id: string;
  releaseId: string;
  platform: string;
  arch: string;
  fileType: string;
  fileName: string;
  size: number;
  /** Hex SHA-256 of the file. */
  sha256: string;
  /** Base64 Ed25519 signature of the hex SHA-256 by the instance key `keyId`. */
  signature: string;
  keyId: string;
  /** `removed`: the file was deleted (retention); the row stays so the release shows what it had. */
  status: ArtifactStatus;
  createdAt: string;
  removedAt: string | null;
  removedReason: string | null;
}

export interface ArtifactRecord extends Artifact {
  storageKey: string;
}

export function toArtifact(row: Selectable<ArtifactsTable>): ArtifactRecord {
  return {
    id: row.id,
    releaseId: row.release_id,
    platform: row.platform,
    arch: row.arch,
    fileType: row.file_type,
    fileName: row.file_name,
    size: Number(row.size),
    sha256: row.sha256,
    signature: row.signature,
    keyId: row.key_id,
    status: row.status as ArtifactStatus,
    createdAt: toIso(row.created_at),
    removedAt: toIso(row.removed_at),
    removedReason: row.removed_reason,
    storageKey: row.storage_key,
  };
}

export function publicArtifact({ storageKey: _key, ...artifact }: ArtifactRecord): Artifact {
  return artifact;
}

export async function insertArtifact(db: Executor, a: ArtifactRecord): Promise<void> {
  await db
    .insertInto('artifacts')
    .values({
      id: a.id,
      release_id: a.releaseId,
      platform: a.platform,
      arch: a.arch,
      file_type: a.fileType,
      file_name: a.fileName,
      size: a.size,
      sha256: a.sha256,
      signature: a.signature,
      key_id: a.keyId,
      storage_key: a.storageKey,
      status: a.status,
      created_at: a.createdAt,
      removed_at: a.removedAt,
      removed_reason: a.removedReason,
    })
    .execute();
}

export async function findArtifact(db: Executor, id: string): Promise<ArtifactRecord | undefined> {
  const row = await db.selectFrom('artifacts').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toArtifact(row);
}

export async function artifactsOf(db: Executor, releaseId: string): Promise<ArtifactRecord[]> {
  const rows = await db.selectFrom('artifacts').selectAll().where('release_id', '=', releaseId).orderBy('id', 'asc').execute();
  return rows.map(toArtifact);
}

/**
 * The available artifacts of the releases, oldest first; with `platform` (lower case), those for it or for `any`;
 * with `arch`, those for it or for `any`/`universal`.
 */
export async function availableArtifactsOf(db: Executor, releaseIds: string[], platform?: string, arch?: string): Promise<ArtifactRecord[]> {
  if (releaseIds.length === 0) return [];
  let q = db.selectFrom('artifacts').selectAll().where('release_id', 'in', releaseIds).where('status', '=', 'available');
  if (platform !== undefined) q = q.where((eb) => eb.or([eb(eb.fn<string>('lower', ['platform']), '=', platform), eb('platform', '=', 'any')]));
  if (arch !== undefined) q = q.where((eb) => eb.or([eb(eb.fn<string>('lower', ['arch']), '=', arch), eb('arch', 'in', ['any', 'universal'])]));
  return (await q.orderBy('id', 'asc').execute()).map(toArtifact);
}

/**
 * available → removed, only while still available: true when this call did it (a concurrent removal, or a
 * second run, finds nothing to do). The file is the caller's to delete, after this commits.
 */
export async function markArtifactRemoved(db: Executor, id: string, at: string, reason: string): Promise<boolean> {
  const res = await db
    .updateTable('artifacts')
    .set({ status: 'removed', removed_at: at, removed_reason: reason })
    .where('id', '=', id)
    .where('status', '=', 'available')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function deleteArtifactRow(db: Executor, id: string): Promise<boolean> {
  const res = await db.deleteFrom('artifacts').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) === 1;
}

export interface DownloadRecord {
  id: string;
  artifactId: string;
  actorType: string;
  actorId: string | null;
  licenseId: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
}

export async function insertDownload(db: Executor, d: DownloadRecord): Promise<void> {
  await db
    .insertInto('downloads')
    .values({
      id: d.id,
      artifact_id: d.artifactId,
      actor_type: d.actorType,
      actor_id: d.actorId,
      license_id: d.licenseId,
      ip: d.ip,
      user_agent: d.userAgent,
      created_at: d.createdAt,
    })
    .execute();
}

/** One page (limit + 1 rows, oldest first, after `cursor`) of a release's artifacts. */
export async function listArtifactPage(db: Executor, releaseId: string, limit: number, cursor?: string): Promise<ArtifactRecord[]> {
  let q = db.selectFrom('artifacts').selectAll().where('release_id', '=', releaseId).orderBy('id', 'asc').limit(limit + 1);
  if (cursor) q = q.where('id', '>', cursor);
  return (await q.execute()).map(toArtifact);
}

/** One page (limit + 1 rows, oldest first, after `cursor`) of an artifact's downloads. */
export async function downloadsOf(db: Executor, artifactId: string, limit: number, cursor?: string): Promise<DownloadRecord[]> {
  let q = db.selectFrom('downloads').selectAll().where('artifact_id', '=', artifactId).orderBy('id', 'asc').limit(limit + 1);
  if (cursor) q = q.where('id', '>', cursor);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    artifactId: r.artifact_id,
    actorType: r.actor_type,
    actorId: r.actor_id,
    licenseId: r.license_id,
    ip: r.ip,
    userAgent: r.user_agent,
    createdAt: toIso(r.created_at),
  }));
}
