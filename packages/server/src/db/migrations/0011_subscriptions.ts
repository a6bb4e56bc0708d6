import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Subscriptions, trials and upgrades.
 *
 * Policies gain subscription terms: `term_months` (a calendar-correct term, instead of `duration_days`),
 * auto-renewal and who renews (`keyhaven` or an external `billing` system), the cancellation notice, the
 * expiry alignment (purchase or first-activation anniversary, calendar or fiscal year) and how the first
 * term is priced when it is shortened to align. A license issued from a subscription policy copies those
 * terms into `subscription` (JSON, with its price) and keeps the facts sweeps filter on as columns:
 * `auto_renew`, `renewed_by`, `cancelled_at`, `term_starts_at` (null while an activation-aligned term waits
 * for the first activation).
 *
 * `renewals` records every renewal for billing reports. `(license_id, from_expiry)` is unique: a term is
 * renewed at most once, whichever worker, retry or billing event gets there; `(license_id, reference)`
 * makes a billing system's renewal (keyed by its invoice id) idempotent.
 *
 * Products gain trial settings; `trials` records every trial with the e-mail address and machine
 * fingerprint (as an HMAC digest) it was issued for. A public sign-up may use each of them once per
 * product (unique indexes over sign-ups; staff-issued trials are checked by the service).
 */
export async function up(db: Kysely<any>, { ts, json }: MigrationContext): Promise<void> {
  await db.schema.alterTable('policies').addColumn('term_months', 'integer').execute();
  await db.schema.alterTable('policies').addColumn('auto_renew', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('policies').addColumn('renewed_by', 'text', (c) => c.notNull().defaultTo('keyhaven')).execute();
  await db.schema.alterTable('policies').addColumn('cancellation_notice_days', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('policies').addColumn('alignment', 'text', (c) => c.notNull().defaultTo('purchase')).execute();
  await db.schema.alterTable('policies').addColumn('fiscal_year_start_month', 'integer').execute();
  await db.schema.alterTable('policies').addColumn('first_term', 'text', (c) => c.notNull().defaultTo('shorten')).execute();
  await db.schema.alterTable('policies').addColumn('price', 'bigint').execute();
  await db.schema.alterTable('policies').addColumn('currency', 'text').execute();

  await db.schema.alterTable('licenses').addColumn('subscription', json).execute();
  await db.schema.alterTable('licenses').addColumn('auto_renew', 'integer').execute();
  await db.schema.alterTable('licenses').addColumn('renewed_by', 'text').execute();
  await db.schema.alterTable('licenses').addColumn('cancelled_at', ts).execute();
  await db.schema.alterTable('licenses').addColumn('term_starts_at', ts).execute();
  // The renewal sweep: auto-renewing subscriptions whose term ends soon.
  await db.schema.createIndex('licenses_renewal_idx').on('licenses').columns(['auto_renew', 'expires_at']).execute();

  await db.schema
    .createTable('renewals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('license_id', 'text', (c) => c.notNull().references('licenses.id'))
    .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
    .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
    .addColumn('from_expiry', ts, (c) => c.notNull())
    .addColumn('to_expiry', ts, (c) => c.notNull())
    // Minor units (cents), as billing systems count; null when the price is unknown.
    .addColumn('price', 'bigint')
    .addColumn('currency', 'text')
    // auto | manual | billing
    .addColumn('source', 'text', (c) => c.notNull())
    // The billing system's id for this renewal (an invoice id): a repeat with the same one is a no-op.
    .addColumn('reference', 'text')
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('at', ts, (c) => c.notNull())
    .addUniqueConstraint('renewals_term_uq', ['license_id', 'from_expiry'])
    .addUniqueConstraint('renewals_reference_uq', ['license_id', 'reference'])
    .execute();
  await db.schema.createIndex('renewals_at_idx').on('renewals').columns(['at', 'id']).execute();
  await db.schema.createIndex('renewals_customer_idx').on('renewals').columns(['customer_id', 'at']).execute();
  await db.schema.createIndex('renewals_product_idx').on('renewals').columns(['product_id', 'at']).execute();

  await db.schema.alterTable('products').addColumn('trial_durations', json, (c) => c.notNull().defaultTo('[5,30,60,90]')).execute();
  await db.schema.alterTable('products').addColumn('trial_preset', 'integer', (c) => c.notNull().defaultTo(30)).execute();
  await db.schema.alterTable('products').addColumn('trial_policy_id', 'text').execute();
  await db.schema.alterTable('products').addColumn('public_trials', 'integer', (c) => c.notNull().defaultTo(0)).execute();

  await db.schema
    .createTable('trials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
    .addColumn('license_id', 'text', (c) => c.notNull().references('licenses.id'))
    .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
    .addColumn('email', 'text')
    // HMAC digest of the machine fingerprint the trial was asked for (or first activated on).
    .addColumn('fingerprint_digest', 'text')
    // signup (public) | staff
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('days', 'integer', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('converted_at', ts)
    .addColumn('converted_policy_id', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('trials_license_idx').on('trials').column('license_id').unique().execute();
  await db.schema.createIndex('trials_email_idx').on('trials').columns(['product_id', 'email']).execute();
  await db.schema.createIndex('trials_fingerprint_idx').on('trials').columns(['product_id', 'fingerprint_digest']).execute();
  await db.schema.createIndex('trials_customer_idx').on('trials').columns(['customer_id', 'id']).execute();
  // One public sign-up per e-mail address and per machine, per product, also under concurrent requests.
  await db.schema
    .createIndex('trials_signup_email_uq')
    .on('trials')
    .columns(['product_id', 'email'])
    .unique()
    .where(sql.ref('source'), '=', 'signup')
    .execute();
  await db.schema
    .createIndex('trials_signup_fingerprint_uq')
    .on('trials')
    .columns(['product_id', 'fingerprint_digest'])
    .unique()
    .where(sql.ref('source'), '=', 'signup')
    .execute();
}
