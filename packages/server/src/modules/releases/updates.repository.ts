import { createQueryId, sql, type CompiledQuery } from 'kysely';
import type { Executor } from '../../db/database.js';

/**
 * The update check's read model. The candidate query runs on every check, so it is built and compiled
 * once per database handle (building costs more than running it) with placeholder parameters. It reads
 * only what choosing needs — reading whole rows of every release and artifact costs more than the rest
 * of the check — and says per release whether it has an available file for the asked platform and arch
 * (`any` serves every platform, `any`/`universal` every architecture; '' asks for none).
 */
const PRODUCT = '\u0000product';
const PLATFORM = '\u0000platform';
const ARCH = '\u0000arch';

export interface CandidateRow {
  id: string;
  version: string;
  channel: string;
  requirements: string;
  published_at: string | Date | null;
  has_file: number | boolean;
}

const compiled = new WeakMap<Executor, CompiledQuery<CandidateRow>>();

function candidateQuery(db: Executor): CompiledQuery<CandidateRow> {
  let query = compiled.get(db);
  if (query === undefined) {
    query = db
      .selectFrom('releases')
      .select(['releases.id', 'releases.version', 'releases.channel', 'releases.requirements', 'releases.published_at'])
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('artifacts')
              .select('artifacts.id')
              .whereRef('artifacts.release_id', '=', 'releases.id')
              .where('artifacts.status', '=', 'available')
              .where(sql<boolean>`(${PLATFORM} = '' or lower(artifacts.platform) = ${PLATFORM} or artifacts.platform = 'any')`)
              .where(sql<boolean>`(${ARCH} = '' or lower(artifacts.arch) = ${ARCH} or artifacts.arch in ('any', 'universal'))`),
          )
          .as('has_file'),
      )
      .where('releases.product_id', '=', PRODUCT)
      .where('releases.status', '=', 'published')
      .compile() as CompiledQuery<CandidateRow>;
    compiled.set(db, query);
  }
  return query;
}

/** The product's published releases, each with whether it has a file for `platform`/`arch` (lower case, or ''). */
export async function releaseCandidates(db: Executor, productId: string, platform: string, arch: string): Promise<CandidateRow[]> {
  const query = candidateQuery(db);
  const values: Record<string, string> = { [PRODUCT]: productId, [PLATFORM]: platform, [ARCH]: arch };
  const parameters = query.parameters.map((p) => (typeof p === 'string' && p in values ? values[p] : p));
  return (await db.executeQuery<CandidateRow>({ query: query.query, sql: query.sql, parameters, queryId: createQueryId() })).rows;
}
