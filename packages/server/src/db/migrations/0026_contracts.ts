import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Contracts (issue 14): license packs and volume contracts. A contract is held by a customer organization
 * or a partner (exactly one; `partner_id` names a partner of the partners module, without a foreign key
 * so this migration does not depend on its tables) and covers one policy or one product group (exactly
 * one, same reason for the group). `quantity` null: unlimited. `used` only grows by a conditional update
 * in the transaction that issues a license (see ContractsService.draw), so it never exceeds `quantity`.
 * `alerted_80_at` / `alerted_100_at`: the quota alerts, each claimed once by a conditional update.
 * `licenses.contract_id`: the contract a license was drawn from.
 */
export async function up(db: Kysely<any>, { ts }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('contracts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
    .addColumn('partner_id', 'text')
    .addColumn('policy_id', 'text', (c) => c.references('policies.id'))
    .addColumn('product_group_id', 'text')
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer')
    .addColumn('used', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ends_at', ts)
    .addColumn('alerted_80_at', ts)
    .addColumn('alerted_100_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addColumn('cancelled_at', ts)
    .addCheckConstraint('contracts_one_holder', sql`(customer_id IS NULL) <> (partner_id IS NULL)`)
    .addCheckConstraint('contracts_one_cover', sql`(policy_id IS NULL) <> (product_group_id IS NULL)`)
    .addCheckConstraint('contracts_within_quantity', sql`quantity IS NULL OR (used >= 0 AND used <= quantity)`)
    .execute();
  await db.schema.createIndex('contracts_customer_idx').on('contracts').columns(['customer_id', 'id']).execute();
  await db.schema.createIndex('contracts_partner_idx').on('contracts').columns(['partner_id', 'id']).execute();
  await db.schema.alterTable('licenses').addColumn('contract_id', 'text').execute();
  await db.schema.createIndex('licenses_contract_idx').on('licenses').columns(['contract_id', 'id']).execute();
}
