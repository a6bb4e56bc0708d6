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
 * the report over 1,000,000 licenses). PostgreSQL plans from statistics, so only SQLite is checked.
 */
forEachDialect('partner report query plans', (dialect) => {
  const ctx = useTestApp(dialect);

  /** The plan of the one query `read` sends, as SQLite's EXPLAIN QUERY PLAN details. */
  async function planOf(read: (db: typeof ctx.t.deps.database.db) => Promise<unknown>): Promise<string> {
    const { db } = ctx.t.deps.database;
    const sent: RootOperationNode[] = [];
    const capture: KyselyPlugin = {
      transformQuery: ({ node }) => {
        sent.push(node);
        return node;
      },
      transformResult: async ({ result }) => result,
    };
    await read(db.withPlugin(capture));
    assert.equal(sent.length, 1);
    const compiled = db.getExecutor().compileQuery(sent[0]!, createQueryId());
    const rows = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
    return rows.rows.map((r) => r.detail).join('\n');
  }

  const window = { start: '2026-05-01T00:00:00.000Z', end: '2026-05-02T00:00:00.000Z' };
  // The report reads subscriptions only: the partial indexes of subscriptions (0027); the activity counts every license.
  const subscriptions: Record<CreditSource, string> = { sold: 'licenses_sold_by_subscription_idx', customer: 'licenses_customer_subscription_idx' };
  const every: Record<CreditSource, string> = { sold: 'licenses_sold_by_idx', customer: 'licenses_customer_idx' };

  test('each source is read through the partner’s index, not every license of its products', { skip: dialect !== 'sqlite' && 'PostgreSQL plans from statistics' }, async () => {
    for (const source of ['sold', 'customer'] as const) {
      const after = { id: 'lic_a', customerId: 'cus_a' } as Parameters<typeof activeSubscriptionRows>[2]['after'];
      for (const page of [undefined, after]) {
        const plan = await planOf((db) => activeSubscriptionRows(db, partner, { partnerId: 'ptn_plan', source, ...window, limit: 1000, after: page }));
        assert.match(plan, new RegExp(`SEARCH licenses USING INDEX ${subscriptions[source]} `), plan);
        assert.doesNotMatch(plan, /licenses_product_idx|SCAN licenses/, plan);
      }
      const counted = await planOf((db) => countCreatedFor(db, partner, { partnerId: 'ptn_plan', source, from: window.start, to: window.end }));
      assert.match(counted, new RegExp(`SEARCH licenses USING (COVERING )?INDEX ${every[source]} `), counted);
      assert.doesNotMatch(counted, /licenses_product_idx|SCAN licenses/, counted);
    }
  });
});
