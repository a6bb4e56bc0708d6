import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addMonths,
  cancellationDeadline,
  firstTermEnd,
  firstTermPrice,
  nextTermEnd,
  yearBoundaryAfter,
  type TermRules,
} from './subscription-terms.js';
import { startSubscription, startTermAt, type SubscriptionPolicy } from './subscription.js';

const d = (iso: string) => new Date(iso);
const rules = (over: Partial<TermRules> = {}): TermRules => ({ term: { months: 12 }, alignment: 'purchase', fiscalYearStartMonth: null, firstTerm: 'shorten', ...over });

describe('subscription terms (pure)', () => {
  test('months are calendar months, clamped to the month, keeping the time of day', () => {
    assert.equal(addMonths(d('2026-01-31T10:15:00.000Z'), 1).toISOString(), '2026-02-28T10:15:00.000Z');
    assert.equal(addMonths(d('2028-01-31T10:15:00.000Z'), 1).toISOString(), '2028-02-29T10:15:00.000Z');
    assert.equal(addMonths(d('2026-03-15T00:00:00.000Z'), 12).toISOString(), '2027-03-15T00:00:00.000Z');
    assert.equal(addMonths(d('2026-03-15T00:00:00.000Z'), -3).toISOString(), '2025-12-15T00:00:00.000Z');
    assert.equal(addMonths(d('2028-02-29T00:00:00.000Z'), 12).toISOString(), '2029-02-28T00:00:00.000Z');
  });

  test('anniversaries keep the anchor day instead of drifting to the 28th', () => {
    const monthly = rules({ term: { months: 1 } });
    const anchor = d('2026-01-31T09:00:00.000Z');
    let end = firstTermEnd(monthly, anchor);
    const ends = [end.toISOString()];
    for (let i = 0; i < 3; i++) {
      end = nextTermEnd(monthly, end, anchor);
      ends.push(end.toISOString());
    }
    assert.deepEqual(ends, ['2026-02-28T09:00:00.000Z', '2026-03-31T09:00:00.000Z', '2026-04-30T09:00:00.000Z', '2026-05-31T09:00:00.000Z']);
    // Moved off the schedule (extended by days): the new date is the schedule from then on.
    assert.equal(nextTermEnd(monthly, d('2026-03-05T09:00:00.000Z'), anchor).toISOString(), '2026-04-05T09:00:00.000Z');
    // Terms in days are plain days.
    assert.equal(nextTermEnd(rules({ term: { days: 30 } }), d('2026-03-05T09:00:00.000Z'), anchor).toISOString(), '2026-04-04T09:00:00.000Z');
  });

  test('calendar and fiscal years end on their boundary; the first term is shortened to it', () => {
    assert.equal(yearBoundaryAfter(d('2026-03-10T12:00:00.000Z'), 1).toISOString(), '2027-01-01T00:00:00.000Z');
    assert.equal(yearBoundaryAfter(d('2026-01-01T00:00:00.000Z'), 1).toISOString(), '2027-01-01T00:00:00.000Z');
    assert.equal(yearBoundaryAfter(d('2026-03-10T12:00:00.000Z'), 4).toISOString(), '2026-04-01T00:00:00.000Z');
    assert.equal(yearBoundaryAfter(d('2026-04-01T00:00:00.000Z'), 4).toISOString(), '2027-04-01T00:00:00.000Z');
    const calendar = rules({ alignment: 'calendar-year' });
    assert.equal(firstTermEnd(calendar, d('2026-03-10T12:00:00.000Z')).toISOString(), '2027-01-01T00:00:00.000Z');
    assert.equal(nextTermEnd(calendar, d('2027-01-01T00:00:00.000Z'), null).toISOString(), '2028-01-01T00:00:00.000Z');
    const twoYears = rules({ alignment: 'calendar-year', term: { months: 24 } });
    assert.equal(firstTermEnd(twoYears, d('2026-03-10T12:00:00.000Z')).toISOString(), '2028-01-01T00:00:00.000Z');
    const fiscal = rules({ alignment: 'fiscal-year', fiscalYearStartMonth: 7 });
    assert.equal(firstTermEnd(fiscal, d('2026-03-10T12:00:00.000Z')).toISOString(), '2026-07-01T00:00:00.000Z');
    assert.equal(nextTermEnd(fiscal, d('2026-07-01T00:00:00.000Z'), null).toISOString(), '2027-07-01T00:00:00.000Z');
  });

  test('prorated first term: the share of a full year; shorten and anniversaries keep the full price', () => {
    const start = d('2026-10-01T00:00:00.000Z');
    const end = d('2027-01-01T00:00:00.000Z'); // 92 of 365 days
    assert.equal(firstTermPrice(rules({ alignment: 'calendar-year', firstTerm: 'prorate' }), 36500, start, end), 9200);
    assert.equal(firstTermPrice(rules({ alignment: 'calendar-year', firstTerm: 'shorten' }), 36500, start, end), 36500);
    assert.equal(firstTermPrice(rules({ alignment: 'purchase', firstTerm: 'prorate' }), 36500, start, end), 36500);
    assert.equal(firstTermPrice(rules({ alignment: 'calendar-year', firstTerm: 'prorate' }), null, start, end), null);
  });

  test('cancellation deadline: notice days before the term ends', () => {
    assert.equal(cancellationDeadline(d('2027-01-01T00:00:00.000Z'), 30)!.toISOString(), '2026-12-02T00:00:00.000Z');
    assert.equal(cancellationDeadline(d('2027-01-01T00:00:00.000Z'), 0), null);
  });

  test('starting a subscription: alignment, overrides, activation waits, problems named by field', () => {
    const policy: SubscriptionPolicy = {
      durationDays: null,
      termMonths: 12,
      alignment: 'purchase',
      fiscalYearStartMonth: null,
      firstTerm: 'shorten',
      cancellationNoticeDays: 30,
      autoRenew: true,
      renewedBy: 'keyhaven',
      price: 12000,
      currency: 'EUR',
    };
    const start = d('2026-03-01T12:00:00.000Z');
    const purchase = startSubscription(policy, {}, start);
    assert.equal(purchase.expiresAt, '2027-03-01T12:00:00.000Z');
    assert.equal(purchase.subscription.termStartsAt, start.toISOString());
    assert.equal(purchase.subscription.firstTermPrice, 12000);

    const prorated = startSubscription(policy, { alignment: 'calendar-year', firstTerm: 'prorate', price: 36500, currency: 'usd' }, d('2026-10-01T00:00:00.000Z'));
    assert.equal(prorated.expiresAt, '2027-01-01T00:00:00.000Z');
    assert.equal(prorated.subscription.firstTermPrice, 9200);
    assert.equal(prorated.subscription.currency, 'USD');

    const waiting = startSubscription({ ...policy, alignment: 'activation' }, {}, start);
    assert.equal(waiting.expiresAt, null);
    assert.equal(waiting.subscription.termStartsAt, null);
    const started = startTermAt(waiting.subscription, d('2026-05-20T08:00:00.000Z'));
    assert.equal(started.expiresAt, '2027-05-20T08:00:00.000Z');
    assert.equal(started.subscription.anchorAt, '2026-05-20T08:00:00.000Z');

    const bad = startSubscription(policy, { alignment: 'fiscal-year', termMonths: 6 }, start);
    assert.deepEqual(Object.keys(bad.problems).sort(), ['fiscalYearStartMonth', 'termMonths']);
    assert.ok(startSubscription(policy, { termDays: 20 }, start).problems.cancellationNoticeDays);
  });
});
