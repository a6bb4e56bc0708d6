/**
 * The webhook event catalogue. A webhook event is an audit event: its type is the audit action
 * (`license.suspended`), so every action any module records is deliverable by name, including actions
 * added after this list was written; the list documents the ones that exist and feeds
 * `listWebhookEventTypes`. Subscriptions are exact types, `<prefix>.*` (e.g. `license.*`) or `*`.
 */
export interface WebhookEventType {
  type: string;
  description: string;
}

export const PING_EVENT = 'ping';

export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = [
  { type: 'faq.created', description: 'An FAQ entry was written (data.after: the entry).' },
  { type: 'faq.updated', description: 'An FAQ entry was edited.' },
  { type: 'faq.deleted', description: 'An FAQ entry was deleted.' },
  { type: 'settings.updated', description: 'Staff changed run-time settings (reminder offsets, alert recipients, ...); data.before/after: the changed settings, value and source.' },
  { type: 'license.created', description: 'A license was issued (data.after: the license; never the key).' },
  { type: 'contract.created', description: 'A contract (license pack, volume contract) was made (data.after: the contract).' },
  { type: 'contract.updated', description: "A contract's quantity or end date changed (data.before/after)." },
  { type: 'contract.cancelled', description: 'A contract was cancelled: no more licenses are drawn from it.' },
  { type: 'contract.drawn', description: 'A license was drawn from a contract (data.after: licenseId, drawn, used, quantity, remaining).' },
  { type: 'contract.quota_80', description: 'A contract reached 80% of its quota (once; again only after its quantity is raised).' },
  { type: 'contract.quota_100', description: 'A contract is used up (once; again only after its quantity is raised).' },
  { type: 'license.updated', description: 'A license was edited (name, customer, dates, seats, features, notes, ...).' },
  { type: 'license.suspended', description: 'A license was suspended.' },
  { type: 'license.reinstated', description: 'A suspended license was reinstated.' },
  { type: 'license.revoked', description: 'A license was revoked (permanent).' },
  { type: 'license.renewed', description: "A license was renewed by one term of its policy's duration." },
  { type: 'license.extended', description: 'A license was extended by a number of days.' },
  { type: 'license.key_revealed', description: 'Someone revealed the full license key (audit; the key is not in the event).' },
  { type: 'license.machines_reset', description: 'Every machine of a license was deactivated at once.' },
  { type: 'license.user_added', description: 'A named user was added to a per-user license.' },
  { type: 'license.user_removed', description: 'A named user was removed from a license (their machines are freed).' },
  { type: 'license.checked_out', description: 'An offline license file was issued.' },
  { type: 'license.features_added', description: 'Features (modules) were added to a license (an upgrade).' },
  { type: 'license.features_removed', description: 'Features were removed from a license.' },
  { type: 'license.seats_added', description: 'Seats were added to a license (a seat pack).' },
  { type: 'license.policy_changed', description: 'A license moved to another policy (expiry kept or reset).' },
  { type: 'license.allocated', description: "A license (ticket) was allocated to its organization, a group or a person (data.before/after: the license with its allocation); a deleted group's tickets go back to the organization this way." },
  { type: 'license.expiring', description: 'Reminder time: the license expires soon (once per license, term and reminder offset).' },
  { type: 'license.expired', description: 'The license has expired (sent once per term by the reminder sweep).' },
  { type: 'subscription.term_started', description: 'A subscription aligned to first activation started its first term.' },
  { type: 'subscription.renewed', description: 'A subscription renewed for another term (automatically, by staff or from billing).' },
  { type: 'subscription.cancelled', description: 'A subscription was cancelled: no renewal, access until the term ends.' },
  { type: 'subscription.resumed', description: 'A cancelled subscription was set to renew again.' },
  { type: 'trial.extended', description: 'A trial was extended.' },
  { type: 'trial.converted', description: 'A trial was converted to a paid license (same key).' },
  { type: 'machine.activated', description: 'A machine was activated on a license (a seat taken).' },
  { type: 'machine.deactivated', description: 'A machine was deactivated (a seat freed).' },
  { type: 'machine.activation_refused', description: 'An activation was refused because every seat is taken.' },
  { type: 'machine.activation_limit_reached', description: "An activation was refused by the policy's activations-per-period limit." },
  { type: 'machine.deactivation_limit_reached', description: "A deactivation was refused by the policy's deactivations-per-period limit." },
  { type: 'machine.overdraft_used', description: 'An activation used the overdraft seats beyond the license limit.' },
  { type: 'usage.threshold_reached', description: 'A metered feature crossed 80% of its limit.' },
  { type: 'usage.exhausted', description: 'A metered feature reached its limit.' },
  { type: 'customer.created', description: 'A customer organization was created.' },
  { type: 'customer.updated', description: 'A customer was edited.' },
  { type: 'customer.deleted', description: 'A customer was deleted.' },
  { type: 'customer_group.created', description: "A group of a customer organization's people was created." },
  { type: 'customer_group.updated', description: 'A customer group was renamed or its ticket visibility changed.' },
  { type: 'customer_group.deleted', description: 'A customer group was deleted (its tickets went back to the organization).' },
  { type: 'customer_group.member_added', description: 'A user was added to a customer group.' },
  { type: 'customer_group.member_updated', description: 'A group member became, or stopped being, a group admin.' },
  { type: 'customer_group.member_removed', description: 'A user was removed from a customer group.' },
  { type: 'order.created', description: 'An order was recorded (by hand, through the API or from a shop) and its licenses issued.' },
  { type: 'product.created', description: 'A product was created.' },
  { type: 'product.updated', description: 'A product was edited.' },
  { type: 'product.deleted', description: 'A product was deleted.' },
  { type: 'policy.created', description: 'A policy was created.' },
  { type: 'policy.updated', description: 'A policy was edited (existing licenses keep their terms).' },
  { type: 'policy.deleted', description: 'A policy was deleted.' },
  { type: 'user.created', description: 'A staff or customer user was created.' },
  { type: 'user.updated', description: 'A user was edited (role, name, disabled).' },
  { type: 'user.password_set', description: 'A password was set (by staff, or through a set-password link).' },
  { type: 'user.password_reset', description: 'A user reset their password through a reset link.' },
  { type: 'user.password_reset_requested', description: 'Someone asked for a password-reset link.' },
  { type: 'user.password_link_sent', description: 'A set-password link was sent to a user.' },
  { type: 'user.password_changed', description: 'A user changed their own password.' },
  { type: 'session.created', description: 'A user signed in.' },
  { type: 'session.revoked', description: 'A user signed out.' },
  { type: 'release.created', description: 'A release was created as a draft.' },
  { type: 'release.updated', description: 'A release was edited (a draft may also change its version).' },
  { type: 'release.published', description: 'A release was published: update checks offer it.' },
  { type: 'release.yanked', description: 'A release was yanked: update checks offer the previous one again.' },
  { type: 'release.unyanked', description: 'A yanked release was offered again.' },
  { type: 'release.announced', description: 'A published release was announced by mail (data.after: template, recipients, skippedOptedOut).' },
  { type: 'artifact.uploaded', description: 'A release artifact was uploaded and verified (size, SHA-256, signature).' },
  { type: 'artifact.deleted', description: 'A release artifact and its file were deleted.' },
  { type: 'artifact.removed', description: "Retention removed an artifact's file; the artifact stays listed as removed, with the reason." },
  { type: 'release.retention_changed', description: "A product's release retention settings were changed." },
  { type: 'token.created', description: 'An API token was created (the token itself is never in the event).' },
  { type: 'token.revoked', description: 'An API token was revoked.' },
  { type: 'job.retried', description: 'Staff queued a failed background job again.' },
  { type: 'mail.retried', description: 'Staff queued a failed e-mail again.' },
  { type: 'mail.held_released', description: 'E-mails held without SMTP settings were released for sending.' },
  { type: 'mail_template.updated', description: 'An e-mail template was edited.' },
  { type: 'mail_template.reset', description: 'An e-mail template was reset to its default.' },
  { type: 'mail_preferences.updated', description: "Someone's e-mail preferences changed." },
  { type: 'webhook_endpoint.created', description: 'A webhook endpoint was added (never the secret).' },
  { type: 'webhook_endpoint.updated', description: 'A webhook endpoint was edited, disabled or enabled by staff.' },
  { type: 'webhook_endpoint.deleted', description: 'A webhook endpoint was deleted.' },
  { type: 'webhook_endpoint.secret_rotated', description: "A webhook endpoint's signing secret was replaced." },
  { type: 'webhook_endpoint.disabled', description: 'A webhook endpoint was disabled automatically after failing for a day.' },
  { type: 'webhook_endpoint.tested', description: 'Staff sent a test (ping) to a webhook endpoint.' },
  { type: 'webhook_delivery.redelivered', description: 'Staff sent a delivery again.' },
  { type: PING_EVENT, description: 'Sent only by sendTestWebhook, to that endpoint, whatever its subscriptions.' },
];

/** `*`, `<prefix>.*` or an event type. */
export const EVENT_PATTERN = '^(\\*|[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*(\\.\\*)?)$';

/** Whether an endpoint subscribed to `patterns` receives events of `type`. */
export function subscribes(patterns: readonly string[], type: string): boolean {
  for (const pattern of patterns) {
    if (pattern === '*' || pattern === type) return true;
    if (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1))) return true;
  }
  return false;
}
