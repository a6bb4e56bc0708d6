import { createQueryId, type CompiledQuery, type Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { ReleasesTable } from './releases.tables.js';
import type { Actor } from '../../http/access.js';
import { renderMarkdown } from '../../lib/markdown.js';
import type { CustomerProducts } from '../products/products.service.js';
import type { Channel } from './semver.js';

export const RELEASE_STATUSES = ['draft', 'published', 'yanked'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

export interface DocLink {
  title: string;
  url: string;
}

export interface Release {
  id: string;
  productId: string;
  version: string;
  channel: Channel;
  status: ReleaseStatus;
  /** Markdown, stored as written. */
  notes: string;
  /** The notes rendered to HTML that is safe to show (raw HTML escaped, only http(s)/mailto/relative links). */
  notesHtml: string;
  docLinks: DocLink[];
  videoUrl: string | null;
  /** Features the license must have to be offered (and, later, to download) this release. */
  requirements: string[];
  publishedAt: string | null;
  yankedAt: string | null;
  yankReason: string | null;
  createdAt: string;
  updatedAt: string;
}


export function toRelease(row: Selectable<ReleasesTable>): Release {
  return {
    id: row.id,
    productId: row.product_id,
    version: row.version,
    channel: row.channel as Channel,
    status: row.status as ReleaseStatus,
    notes: row.notes,
    notesHtml: renderMarkdown(row.notes),
    docLinks: parseJson<DocLink[]>(row.doc_links, []),
    videoUrl: row.video_url,
    requirements: parseJson<string[]>(row.requirements, []),
    publishedAt: toIso(row.published_at),
    yankedAt: toIso(row.yanked_at),
    yankReason: row.yank_reason,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function toRow(r: Release): Selectable<ReleasesTable> {
  return {
    id: r.id,
    product_id: r.productId,
    version: r.version,
    channel: r.channel,
    status: r.status,
    notes: r.notes,
    doc_links: JSON.stringify(r.docLinks),
    video_url: r.videoUrl,
    requirements: JSON.stringify(r.requirements),
    published_at: r.publishedAt,
    yanked_at: r.yankedAt,
    yank_reason: r.yankReason,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

/**
 * Staff see every release. A customer sees only published releases of the products it may see (those
 * its organization holds a license for, and custom products made for it); a partner scope narrows to its products.
 */
function scoped(db: Executor, actor: Actor, visible: CustomerProducts) {
  let q = db.selectFrom('releases').selectAll();
  const { customerId, productIds } = actor.scope;
  if (customerId !== undefined) {
    q = q
      .where('releases.status', '=', 'published')
      .where('releases.product_id', 'in', visible(customerId));
  }
  if (productIds !== undefined) q = q.where('releases.product_id', 'in', productIds.length > 0 ? [...productIds] : ['']);
  return q;
}

export async function insertRelease(db: Executor, release: Release): Promise<void> {
  await db.insertInto('releases').values(toRow(release)).execute();
}

/** Writes the row only while its status is still `expected`: true when it did (concurrent transitions lose). */
export async function updateReleaseRow(db: Executor, release: Release, expected: ReleaseStatus): Promise<boolean> {
  const { id: _id, ...values } = toRow(release);
  const res = await db.updateTable('releases').set(values).where('id', '=', release.id).where('status', '=', expected).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function findRelease(db: Executor, actor: Actor, visible: CustomerProducts, id: string): Promise<Release | undefined> {
  const row = await scoped(db, actor, visible).where('releases.id', '=', id).executeTakeFirst();
  return row && toRelease(row);
}

/** Deletes the release only while it is a draft (a conditional DELETE: a concurrent publish wins). */
export async function deleteDraftRow(db: Executor, id: string): Promise<boolean> {
  const res = await db.deleteFrom('releases').where('id', '=', id).where('status', '=', 'draft').executeTakeFirst();
  return Number(res.numDeletedRows) === 1;
}

export async function versionTaken(db: Executor, productId: string, version: string, exceptId?: string): Promise<boolean> {
  let q = db.selectFrom('releases').select('id').where('product_id', '=', productId).where('version', '=', version);
  if (exceptId) q = q.where('id', '!=', exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

export interface ReleaseFilter {
  productId?: string;
  channels?: Channel[];
  status?: ReleaseStatus;
}

export async function listReleases(db: Executor, actor: Actor, visible: CustomerProducts, filter: ReleaseFilter, limit: number, cursor?: string): Promise<Release[]> {
  let q = scoped(db, actor, visible).orderBy('releases.id', 'desc').limit(limit + 1);
  if (filter.productId) q = q.where('releases.product_id', '=', filter.productId);
  if (filter.channels) q = q.where('releases.channel', 'in', filter.channels);
  if (filter.status) q = q.where('releases.status', '=', filter.status);
  if (cursor) q = q.where('releases.id', '<', cursor);
  return (await q.execute()).map(toRelease);
}

/** A published release as the update check chooses among them: what choosing reads, without the notes. */
export interface ReleaseCandidate {
  id: string;
  version: string;
  channel: Channel;
  requirements: string[];
  publishedAt: string | null;
}

type CandidateRow = Pick<Selectable<ReleasesTable>, 'id' | 'version' | 'channel' | 'requirements' | 'published_at'>;

/**
 * The candidate query runs on every update check, so it is built and compiled once per database handle
 * (building costs more than running it) with a placeholder for the product.
 */
const PRODUCT = '\u0000product';
const compiledCandidates = new WeakMap<Executor, CompiledQuery<CandidateRow>>();

function candidateQuery(db: Executor): CompiledQuery<CandidateRow> {
  let query = compiledCandidates.get(db);
  if (query === undefined) {
    query = db
      .selectFrom('releases')
      .select(['releases.id', 'releases.version', 'releases.channel', 'releases.requirements', 'releases.published_at'])
      .where('releases.product_id', '=', PRODUCT)
      .where('releases.status', '=', 'published')
      .compile();
    compiledCandidates.set(db, query);
  }
  return query;
}

/** The product's published releases, read lean (reading whole rows costs more than the rest of the update check). */
export async function publishedCandidates(db: Executor, productId: string): Promise<ReleaseCandidate[]> {
  const query = candidateQuery(db);
  const parameters = query.parameters.map((p) => (p === PRODUCT ? productId : p));
  const { rows } = await db.executeQuery<CandidateRow>({ query: query.query, sql: query.sql, parameters, queryId: createQueryId() });
  return rows.map((row) => ({
    id: row.id,
    version: row.version,
    channel: row.channel as Channel,
    requirements: parseJson<string[]>(row.requirements, []),
    publishedAt: toIso(row.published_at),
  }));
}

/** A product's published and yanked releases: the ones retention weighs (drafts are never touched). */
export async function retainableReleases(db: Executor, productId: string): Promise<Release[]> {
  const rows = await db.selectFrom('releases').selectAll().where('product_id', '=', productId).where('status', 'in', ['published', 'yanked']).execute();
  return rows.map(toRelease);
}
