import type { Kysely } from 'kysely';

/**
 * Reads of the validation log (issue 15): `listValidations` per license, per customer and over a period,
 * and the versions report (`getVersionsReport`).
 *
 * - `version`: the app's version as `validateLicense` (and `checkForUpdate`, which validates) sends it.
 * - `customer_id` and `product_id`: the license's customer and product when it was validated, copied from
 *   the lookup the validation makes anyway (no extra read, the batched writer stays the only write). The
 *   table grows to tens of millions of rows; a customer's log read through its license ids (`license_id in
 *   (…)`) would gather every validation of every license of the customer and sort them, on each page. With
 *   the customer on the row, a customer's page is one backward range scan of `(customer_id, at)`, as a
 *   license's is of `(license_id, at)` (0001). A license moved to another customer keeps its earlier rows
 *   under the customer that held it then. Rows written before this migration have no customer or product:
 *   they stay visible per license and to staff (no backfill: an update of every row of a large log is an
 *   outage on upgrade).
 * - `validations_at_idx`: the staff's whole log newest first, and the periods the versions report reads.
 *   Each index costs every batched insert a little; the product is a filter on rows found by time, not an
 *   index of its own.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('validations').addColumn('version', 'text').execute();
  await db.schema.alterTable('validations').addColumn('customer_id', 'text').execute();
  await db.schema.alterTable('validations').addColumn('product_id', 'text').execute();
  await db.schema.createIndex('validations_customer_idx').on('validations').columns(['customer_id', 'at']).execute();
  await db.schema.createIndex('validations_at_idx').on('validations').columns(['at']).execute();
}
