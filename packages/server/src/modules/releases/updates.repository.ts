import { createQueryId, type CompiledQuery, type Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import type { ArtifactsTable, ReleasesTable } from '../../db/schema.js';

/**
 * The update check's read model: every published release of a product and every available artifact of
 * those releases, in two statements. They run on every check, so each is built and compiled once per
 * database handle (building costs more than running them) with a placeholder product id, and the
 * channel filter happens in code.
 */
const PRODUCT = '\u0000product';

interface OfferQueries {
  releases: CompiledQuery<Selectable<ReleasesTable>>;
  artifacts: CompiledQuery<Selectable<ArtifactsTable>>;
}

const compiled = new WeakMap<Executor, OfferQueries>();

function compile(db: Executor): OfferQueries {
  let queries = compiled.get(db);
  if (queries === undefined) {
    queries = {
      releases: db.selectFrom('releases').selectAll().where('product_id', '=', PRODUCT).where('status', '=', 'published').compile(),
      artifacts: db
        .selectFrom('artifacts')
        .innerJoin('releases', 'releases.id', 'artifacts.release_id')
        .selectAll('artifacts')
        .where('releases.product_id', '=', PRODUCT)
        .where('releases.status', '=', 'published')
        .where('artifacts.status', '=', 'available')
        .orderBy('artifacts.id')
        .compile(),
    };
    compiled.set(db, queries);
  }
  return queries;
}

async function run<R>(db: Executor, query: CompiledQuery<R>, productId: string): Promise<R[]> {
  const parameters = query.parameters.map((p) => (p === PRODUCT ? productId : p));
  return (await db.executeQuery<R>({ query: query.query, sql: query.sql, parameters, queryId: createQueryId() })).rows;
}

/** The published releases of a product (rows as stored). */
export function publishedReleaseRows(db: Executor, productId: string): Promise<Selectable<ReleasesTable>[]> {
  return run(db, compile(db).releases, productId);
}

/** The available artifacts of a product's published releases (rows as stored), oldest first. */
export function offeredArtifactRows(db: Executor, productId: string): Promise<Selectable<ArtifactsTable>[]> {
  return run(db, compile(db).artifacts, productId);
}
