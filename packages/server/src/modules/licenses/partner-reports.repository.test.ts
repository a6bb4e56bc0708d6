import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompiledQuery, createQueryId, type KyselyPlugin, type RootOperationNode } from 'kysely';
import type { Actor } from '../../http/access.js';
import { forEachDialect, useTestApp } from '../../testing/harness.js';
import { activeSubscriptionRows, countCreatedFor, type CreditSource } from './partner-reports.repository.js';

const partner: Actor = {
  type: 'user',
  id: 'usr_plan',
  role: 'partner-admin',
  scope: { partnerId: 'ptn_plan', productIds: ['prod_plan'] },
  label: 'partner@example.com',
};

/**
 * How the partner reports read licenses, as SQLite plans them without statistics (the server never runs
 * ANALYZE): each source through the partner's own index (the report: its subscriptions only), never through licenses_product_idx, which would
 * walk every license of the partner's products (found by `npm run bench -- --suite partners`: 11 s for
 * the report over 1,000,000 licenses). PostgreSQL plans from statistics, so there only the SQL is checked.
 */
forEachDialect('partner report query plans', (dialect) => {
  const ctx = useTestApp(dialect);

  /**
   * The one query `read` sends: its SQL and, on SQLite, its plan (EXPLAIN QUERY PLAN details; PostgreSQL
   * plans from statistics, which an empty test database does not have).
   */
  async function sent(read: (db: typeof ctx.t.deps.database.db) => Promise<unknown>): Promise<{ sql: string; plan: string }> {
    const { db } = ctx.t.deps.database;
    const nodes: RootOperationNode[] = [];
    const capture: KyselyPlugin = {
      transformQuery: ({ node }) => {
        nodes.push(node);
        return node;
      },
      transformResult: async ({ result }) => result,
    };
    await read(db.withPlugin(capture));
    assert.equal(nodes.length, 1);
    const compiled = db.getExecutor().compileQuery(nodes[0]!, createQueryId());
    if (dialect !== 'sqlite') return { sql: compiled.sql, plan: '' };
    const rows = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
    return { sql: compiled.sql, plan: rows.rows.map((r) => r.detail).join('\n') };
  }

  const window = { start: '2026-05-01T00:00:00.000Z', end: '2026-05-02T00:00:00.000Z' };
  // The report reads subscriptions only: the partial indexes of subscriptions (0027); the activity counts every license.
  const subscriptions: Record<CreditSource, string> = { sold: 'licenses_sold_by_subscription_idx', customer: 'licenses_customer_subscription_idx' };
  const every: Record<CreditSource, string> = { sold: 'licenses_sold_by_idx', customer: 'licenses_customer_idx' };

  /** The product scope is a per-row check on both dialects; on SQLite the read goes through `index`, never licenses_product_idx. */
  function check({ sql, plan }: { sql: string; plan: string }, index: string) {
    assert.match(sql, /licenses\.product_id \|\| '' in/, sql);
    if (dialect !== 'sqlite') return;
    assert.match(plan, new RegExp(`SEARCH licenses USING (COVERING )?INDEX ${index} `), plan);
    assert.doesNotMatch(plan, /licenses_product_idx|SCAN licenses/, plan);
  }

  test('each source is read through the partner’s index, not every license of its products', async () => {
    for (const source of ['sold', 'customer'] as const) {
      const after = { id: 'lic_a', customerId: 'cus_a' } as Parameters<typeof activeSubscriptionRows>[2]['after'];
      for (const page of [undefined, after]) {
        check(await sent((db) => activeSubscriptionRows(db, partner, { partnerId: 'ptn_plan', source, ...window, limit: 1000, after: page })), subscriptions[source]);
      }
      check(await sent((db) => countCreatedFor(db, partner, { partnerId: 'ptn_plan', source, from: window.start, to: window.end })), every[source]);
    }
  });
});
