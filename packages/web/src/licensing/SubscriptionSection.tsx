import { useState, type ReactNode } from 'react';
import { licensingApi, type FullLicense, type Subscription } from '../api/licensing.js';
import { ErrorMessage, formatDate, messageOf } from '../ui/ui.js';

/** What a subscription's facts mean for the buttons: ended, cancelled, or past its notice deadline. */
export function subscriptionState(license: FullLicense, now = Date.now()) {
  const sub = license.subscription as Subscription;
  const ended = license.status === 'expired' || license.status === 'revoked';
  const cancelled = !sub.autoRenew || sub.cancelledAt !== null;
  const deadline = sub.cancellationDeadline ? new Date(sub.cancellationDeadline).getTime() : null;
  return {
    ended,
    cancelled,
    /** Cancelling this term is refused (staff may override): the notice deadline has passed. */
    noticePassed: !ended && !cancelled && deadline !== null && deadline <= now,
    /** The last calendar day on which a cancellation is still accepted (the deadline is an instant). */
    lastDayToCancel: deadline === null ? null : new Date(deadline - 1).toISOString(),
  };
}

function term(sub: Subscription): string {
  if (sub.termMonths !== null) return sub.termMonths % 12 === 0 ? `${sub.termMonths / 12} year${sub.termMonths === 12 ? '' : 's'}` : `${sub.termMonths} months`;
  return sub.termDays !== null ? `${sub.termDays} days` : '—';
}

function price(sub: Subscription): string | null {
  if (sub.price === null || !sub.currency) return null;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: sub.currency }).format(sub.price / 100);
  } catch {
    return `${(sub.price / 100).toFixed(2)} ${sub.currency}`;
  }
}

/** One sentence for the subscription's state: renews on, ends on (cancelled), ended. */
export function subscriptionSummary(license: FullLicense): string {
  const sub = license.subscription as Subscription;
  const state = subscriptionState(license);
  if (license.status === 'revoked') return 'Revoked: the subscription has ended.';
  if (license.expiresAt === null) return 'The first term starts at the first activation.';
  if (state.ended) return `Ended on ${formatDate(license.expiresAt)}.`;
  if (state.cancelled) return `Cancelled: it will not renew and ends on ${formatDate(license.expiresAt)}. Access continues until then.`;
  return `Renews automatically on ${formatDate(sub.renewsAt ?? license.expiresAt)}${sub.renewedBy === 'billing' ? ' (by the billing system)' : ''}.`;
}

export interface SubscriptionSectionProps {
  license: FullLicense;
  /** The viewer holds `subscriptions:cancel` (staff with it, organization admins). */
  mayCancel: boolean;
  /** Staff may cancel after the notice deadline (the API's `override`); customers are told it has passed. */
  mayOverride: boolean;
  /** Told the license as the API answered it after a change. */
  onChanged: (license: FullLicense) => void;
  /** A hint for viewers who may not cancel. */
  readOnlyHint?: string;
  /** More actions (the console's Renew now). */
  children?: ReactNode;
}

/**
 * A subscription license's renewal state (auto-renewal, next renewal or end, notice period and the last
 * day to cancel) with Cancel (confirmed; access continues until the term ends) and Resume. Shared by the
 * console and the portal; the API enforces the notice period and the permission.
 */
export function SubscriptionSection({ license, mayCancel, mayOverride, onChanged, readOnlyHint, children }: SubscriptionSectionProps) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const sub = license.subscription;
  if (!sub) return null;
  const state = subscriptionState(license);

  async function run(change: () => Promise<FullLicense>, done: (license: FullLicense) => string) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const changed = await change();
      setConfirming(false);
      setNotice(done(changed));
      onChanged(changed);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }
  const cancel = () =>
    run(
      () => licensingApi.cancelSubscription(license.id, state.noticePassed && mayOverride),
      (changed) => `Cancelled: the subscription will not renew and ends on ${formatDate(changed.expiresAt)}. Access continues until then.`,
    );
  const resume = () =>
    run(
      () => licensingApi.resumeSubscription(license.id),
      (changed) => `Resumed: the subscription renews on ${formatDate(changed.subscription?.renewsAt ?? changed.expiresAt)}.`,
    );

  const canCancelNow = mayCancel && !state.ended && !state.cancelled && license.expiresAt !== null && (!state.noticePassed || mayOverride);
  return (
    <section className="card" aria-labelledby="subscription-title">
      <h2 id="subscription-title">Subscription</h2>
      <p data-testid="subscription-state">{subscriptionSummary(license)}</p>
      <dl className="facts">
        <dt>Auto-renewal</dt>
        <dd data-testid="subscription-auto-renew">{sub.autoRenew ? 'on' : `off${sub.cancelledAt ? ` (cancelled ${formatDate(sub.cancelledAt)})` : ''}`}</dd>
        <dt>{state.cancelled || state.ended ? 'Ends' : 'Next renewal'}</dt>
        <dd>{formatDate(state.cancelled || state.ended ? license.expiresAt : (sub.renewsAt ?? license.expiresAt), 'at the first activation')}</dd>
        <dt>Term</dt>
        <dd>
          {term(sub)}
          {price(sub) ? <span className="hint"> · {price(sub)} per term</span> : null}
        </dd>
        <dt>Cancellation notice</dt>
        <dd>{sub.cancellationNoticeDays === 0 ? 'none: cancel any time before the term ends' : `${sub.cancellationNoticeDays} days before the term ends`}</dd>
        {!state.cancelled && !state.ended && license.expiresAt ? (
          <>
            <dt>Last day to cancel</dt>
            <dd data-testid="subscription-deadline">{formatDate(state.lastDayToCancel ?? new Date(new Date(license.expiresAt).getTime() - 1).toISOString())}</dd>
          </>
        ) : null}
      </dl>
      {state.noticePassed ? (
        <p className="banner" role="status" data-testid="notice-passed">
          The notice period for this term has passed (cancellations were due by {formatDate(state.lastDayToCancel)}), so the subscription renews on{' '}
          {formatDate(license.expiresAt)}.{' '}
          {mayOverride ? 'Staff can still cancel it (the notice period is overridden).' : 'You can cancel after that renewal, to end it with the following term.'}
        </p>
      ) : null}
      {!mayCancel && readOnlyHint ? <p className="hint">{readOnlyHint}</p> : null}
      <div className="actions" role="group" aria-label="Subscription actions">
        {canCancelNow ? (
          confirming ? (
            <>
              <span>
                Cancel the subscription? It will not renew; access continues until {formatDate(license.expiresAt)}.
              </span>
              <button type="button" className="danger" disabled={busy} onClick={() => void cancel()}>
                Yes, cancel subscription
              </button>
              <button type="button" disabled={busy} onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </>
          ) : (
            <button type="button" className="danger" disabled={busy} onClick={() => setConfirming(true)}>
              {state.noticePassed ? 'Cancel anyway…' : 'Cancel subscription…'}
            </button>
          )
        ) : null}
        {mayCancel && state.cancelled && !state.ended ? (
          <button type="button" disabled={busy} onClick={() => void resume()}>
            Resume subscription
          </button>
        ) : null}
        {children}
      </div>
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
    </section>
  );
}
