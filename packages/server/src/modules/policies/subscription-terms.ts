/**
 * Subscription terms as pure date arithmetic (UTC), so every rule can be unit-tested without a database.
 *
 * A term is a number of calendar months (`{months}`: a year is 12, and 31 January + 1 month is the last day
 * of February) or of days (`{days}`). Where a term ends depends on the alignment:
 *
 * - `purchase`: the anniversary of the start (of the purchase, or of `startsAt`);
 * - `activation`: the anniversary of the first machine activation; until then the term has not started
 *   (the license is usable, so it can be activated, and has no expiry);
 * - `calendar-year`: 1 January 00:00 UTC, i.e. valid through 31 December;
 * - `fiscal-year`: the first day of the fiscal year's start month, 00:00 UTC.
 *
 * Year alignments shorten the first term so it ends on the next boundary (a multi-year term ends on the
 * boundary that many years on); `firstTerm: prorate` then prices the first term by its share of a full term.
 * Expiries are exclusive instants: the license is expired from `expiresAt` on.
 */

export const ALIGNMENTS = ['purchase', 'activation', 'calendar-year', 'fiscal-year'] as const;
export type Alignment = (typeof ALIGNMENTS)[number];
export const FIRST_TERMS = ['shorten', 'prorate'] as const;
export type FirstTerm = (typeof FIRST_TERMS)[number];
export const RENEWERS = ['keyhaven', 'billing'] as const;
export type Renewer = (typeof RENEWERS)[number];

export type Term = { months: number } | { days: number };

export interface TermRules {
  term: Term;
  alignment: Alignment;
  /** 1–12; required for `fiscal-year`, else null. */
  fiscalYearStartMonth: number | null;
  firstTerm: FirstTerm;
}

const DAY_MS = 86_400_000;

function daysInMonth(year: number, month0: number): number {
  return new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
}

/**
 * `at` plus `months` calendar months (negative: minus), keeping the time of day. The day of the month is
 * `anchorDay` (default: `at`'s own day), clamped to the target month's length, so that a term anchored on
 * the 31st ends on the 28th/29th in February and on the 31st again in March.
 */
export function addMonths(at: Date, months: number, anchorDay?: number): Date {
  const total = at.getUTCFullYear() * 12 + at.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month0 = total - year * 12;
  const day = Math.min(anchorDay ?? at.getUTCDate(), daysInMonth(year, month0));
  return new Date(Date.UTC(year, month0, day, at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds(), at.getUTCMilliseconds()));
}

export function addTerm(at: Date, term: Term, anchorDay?: number, times = 1): Date {
  if ('months' in term) return addMonths(at, term.months * times, anchorDay);
  return new Date(at.getTime() + term.days * times * DAY_MS);
}

/** The first instant of a (fiscal) year starting in `startMonth` (1–12) that lies strictly after `at`. */
export function yearBoundaryAfter(at: Date, startMonth: number): Date {
  const candidate = new Date(Date.UTC(at.getUTCFullYear(), startMonth - 1, 1));
  return candidate.getTime() > at.getTime() ? candidate : new Date(Date.UTC(at.getUTCFullYear() + 1, startMonth - 1, 1));
}

function boundaryMonth(rules: TermRules): number | null {
  if (rules.alignment === 'calendar-year') return 1;
  if (rules.alignment === 'fiscal-year') return rules.fiscalYearStartMonth ?? 1;
  return null;
}

/**
 * Where the first term that starts at `start` ends. Year alignments end it on the next boundary (plus the
 * term's further whole years): a shortened first term. Anniversary alignments end it one full term on.
 */
export function firstTermEnd(rules: TermRules, start: Date): Date {
  const month = boundaryMonth(rules);
  if (month === null) return addTerm(start, rules.term);
  const months = 'months' in rules.term ? rules.term.months : 12;
  return addMonths(yearBoundaryAfter(start, month), months - 12);
}

/**
 * The end of the term that follows one ending at `from`. `anchor` is the instant the anniversaries count
 * from: while `from` is on the anchor's schedule (same day of month, clamped, and time of day) the next end
 * keeps the anchor's day, so a 31 January subscription goes 28 February → 31 March rather than drifting
 * to the 28th. A `from` moved off the schedule (an extension by days) becomes the new schedule.
 */
export function nextTermEnd(rules: TermRules, from: Date, anchor: Date | null): Date {
  if (!('months' in rules.term)) return addTerm(from, rules.term);
  if (boundaryMonth(rules) !== null) return addMonths(from, rules.term.months);
  let anchorDay: number | undefined;
  if (anchor) {
    const day = anchor.getUTCDate();
    const clamped = Math.min(day, daysInMonth(from.getUTCFullYear(), from.getUTCMonth()));
    const sameTime = anchor.getTime() % DAY_MS === from.getTime() % DAY_MS;
    if (sameTime && from.getUTCDate() === clamped) anchorDay = day;
  }
  return addMonths(from, rules.term.months, anchorDay);
}

/** The length of the full term that ends at `end`, in milliseconds. */
export function fullTermMs(rules: TermRules, end: Date): number {
  return end.getTime() - addTerm(end, rules.term, undefined, -1).getTime();
}

/**
 * The price of a first term running from `start` to `end`: the full price for anniversary alignments and
 * for `shorten`; for `prorate`, the full price times the term's share of a full term, in whole minor units.
 */
export function firstTermPrice(rules: TermRules, price: number | null, start: Date, end: Date): number | null {
  if (price === null || rules.firstTerm !== 'prorate' || boundaryMonth(rules) === null) return price;
  const share = Math.min(1, (end.getTime() - start.getTime()) / fullTermMs(rules, end));
  return Math.round(price * share);
}

/** The last instant a cancellation is accepted for the term ending at `expiresAt` (null: no notice needed). */
export function cancellationDeadline(expiresAt: Date, noticeDays: number): Date | null {
  if (noticeDays <= 0) return null;
  return new Date(expiresAt.getTime() - noticeDays * DAY_MS);
}

/** The term as stored on policies and licenses: months, or days. */
export function termOf(termMonths: number | null, durationDays: number | null): Term | null {
  if (termMonths !== null) return { months: termMonths };
  if (durationDays !== null) return { days: durationDays };
  return null;
}
