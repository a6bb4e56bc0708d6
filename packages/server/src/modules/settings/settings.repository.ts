import { toIso, type Executor } from '../../db/database.js';

/** A stored override, as read: the JSON value not yet checked. */
export interface StoredSetting {
  key: string;
  value: unknown;
  updatedAt: string;
  updatedBy: string;
}

/** Every stored override (a handful of rows: one query per sweep, alert or page view). */
export async function listStored(db: Executor): Promise<StoredSetting[]> {
  const rows = await db.selectFrom('settings').selectAll().execute();
  return rows.map((row) => {
    let value: unknown;
    try {
      value = JSON.parse(row.value);
    } catch {
      value = undefined; // unreadable: treated as not set
    }
    return { key: row.key, value, updatedAt: toIso(row.updated_at), updatedBy: row.updated_by };
  });
}

export async function saveSetting(db: Executor, setting: { key: string; value: unknown; updatedAt: string; updatedBy: string }): Promise<void> {
  const values = { value: JSON.stringify(setting.value), updated_at: setting.updatedAt, updated_by: setting.updatedBy };
  await db
    .insertInto('settings')
    .values({ key: setting.key, ...values })
    .onConflict((oc) => oc.column('key').doUpdateSet(values))
    .execute();
}

export async function deleteSetting(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('settings').where('key', '=', key).execute();
}
