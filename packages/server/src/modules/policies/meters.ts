import Type from 'typebox';
import { Nullable, StringEnum } from '../../http/schemas.js';

export const METER_PERIODS = ['never', 'monthly', 'yearly'] as const;
export type MeterPeriod = (typeof METER_PERIODS)[number];

/** A metered feature: `limit` credits (null: counted, unlimited) per period, reset at each period start (UTC). */
export interface Meter {
  feature: string;
  limit: number | null;
  period: MeterPeriod;
}

export const MeterSchema = Type.Object(
  {
    feature: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' }),
    limit: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'Credits per period; null: unlimited (counted only)' })),
    period: StringEnum(METER_PERIODS, { description: 'When the counter resets (UTC): never, at each month, at each year' }),
  },
  { additionalProperties: false },
);
export const MetersSchema = Type.Array(MeterSchema, { maxItems: 100 });

/** The instant the current period began: counters from before it start again at zero. */
export function periodStart(period: MeterPeriod, now: Date): Date {
  if (period === 'monthly') return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  if (period === 'yearly') return new Date(Date.UTC(now.getUTCFullYear(), 0, 1));
  return new Date(0);
}

/** One meter per feature: the last definition of a feature wins. */
export function normalizeMeters(meters: Meter[]): Meter[] {
  return [...new Map(meters.map((m) => [m.feature, m])).values()];
}
