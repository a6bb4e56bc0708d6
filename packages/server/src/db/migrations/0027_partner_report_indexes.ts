import { sql, type Kysely } from 'kysely';

/**
 * The partner reports' reads of subscriptions (licenses/partner-reports.repository.ts): the ones a partner
 * sold, in id order, and the vendor's sales to its customers, in (customer, id) order. Both only ever read
 * subscriptions, so these indexes hold subscriptions only (partial indexes, on SQLite and PostgreSQL alike):
 * a report walks its partner's subscriptions, not every license it sold or its customers hold (30% of them
 * in the partners benchmark, a third of the row reads).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('licenses_sold_by_subscription_idx').on('licenses').columns(['sold_by', 'id']).where(sql.ref('subscription'), 'is not', null).execute();
  await db.schema.createIndex('licenses_customer_subscription_idx').on('licenses').columns(['customer_id', 'id']).where(sql.ref('subscription'), 'is not', null).execute();
}
