import type { Generated } from 'kysely';

/**
 * Row types as stored. Both dialects store the same columns: booleans as 0/1 integers, JSON as text,
 * timestamps as `timestamptz` on PostgreSQL and ISO-8601 text on SQLite (written as ISO strings on both;
 * read back through `toIso`). Rows never leave a repository: mappers turn them into domain objects.
 */
export type Timestamp = string | Date;
export type Bool = number;
export type JsonText = string;

/** A release of a product (0014): artifacts of the next part reference `id`. */
export interface ReleasesTable {
  id: string;
  product_id: string;
  version: string;
  /** stable | rc | beta | alpha | dev */
  channel: string;
  /** draft | published | yanked */
  status: string;
  /** Markdown. */
  notes: string;
  /** JSON array of {title, url}. */
  doc_links: JsonText;
  video_url: string | null;
  /** JSON array of feature names the license must have. */
  requirements: JsonText;
  published_at: Timestamp | null;
  yanked_at: Timestamp | null;
  yank_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A stored file of a release (0015); a row exists only for a completely written, verified file. */
export interface ArtifactsTable {
  id: string;
  release_id: string;
  platform: string;
  arch: string;
  file_type: string;
  file_name: string;
  /** bigint: PostgreSQL returns it as a string; read through Number(). */
  size: number | string;
  /** Hex SHA-256 of the file. */
  sha256: string;
  /** Base64 Ed25519 signature of the hex SHA-256, by the key `key_id`. */
  signature: string;
  key_id: string;
  storage_key: string;
  /** available | removed (0017: the file is gone, the row stays) */
  status: string;
  created_at: Timestamp;
  removed_at: Timestamp | null;
  removed_reason: string | null;
}

/** Per-product release retention (0017); null means no limit of that kind. */
export interface ReleaseRetentionTable {
  product_id: string;
  keep_versions: number | null;
  keep_days: number | null;
  updated_at: Timestamp;
}

/** A release announced by mail (0018): at most one per release (unique `release_id`). */
export interface ReleaseAnnouncementsTable {
  id: string;
  release_id: string;
  /** The mail template key used. */
  template: string;
  /** Mails queued (recipients who opted out are not counted). */
  recipient_count: number;
  /** The actor's label. */
  created_by: string;
  created_at: Timestamp;
}

/** An FAQ entry of the customer portal (0020); `answer` is Markdown. */
export interface FaqEntriesTable {
  id: string;
  product_id: string | null;
  question: string;
  answer: string;
  position: number;
  published: Bool;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A staff-edited setting that overrides its environment default (0021); no row: the default. */
export interface SettingsTable {
  key: string;
  value: JsonText;
  updated_at: Timestamp;
  /** The actor's label (e-mail address or token name). */
  updated_by: string;
}

/** One served download (0015). */
export interface DownloadsTable {
  id: string;
  artifact_id: string;
  /** user | token | admin-token | license */
  actor_type: string;
  actor_id: string | null;
  license_id: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: Timestamp;
}

export interface ProductsTable {
  id: string;
  code: string;
  name: string;
  description: string | null;
  url: string | null;
  metadata: JsonText;
  /** Allowed trial lengths in days (JSON array) and the one used when none is named. */
  trial_durations: JsonText;
  trial_preset: number;
  /** The policy trials are issued from; null: the product's only trial policy. */
  trial_policy_id: string | null;
  /** Whether anyone may sign up for a trial (POST /v1/trials). */
  public_trials: Bool;
  /** Customers a custom product is made for (JSON array of ids); empty: a public product. */
  customer_ids: JsonText;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PoliciesTable {
  id: string;
  product_id: string;
  name: string;
  kind: string;
  duration_days: number | null;
  max_machines: number | null;
  floating: Bool;
  heartbeat_seconds: number | null;
  grace_days: number;
  features: JsonText;
  enforce_domains: Bool;
  /** [{feature, limit, period}] */
  meters: JsonText;
  /** Allowed ISO country codes; [] allows all. */
  countries: JsonText;
  /** {activations, deactivations, periodDays} or null. */
  activation_limits: JsonText;
  /** {seats} or {factor}, or null. */
  overdraft: JsonText;
  /** What the expiry ends: `access` (validation fails) or `updates` (maintenance model). */
  expiry_ends: string;
  max_users: number | null;
  /** A calendar-correct term in months (instead of duration_days); null: the term is duration_days. */
  term_months: number | null;
  /** Subscription terms (see SubscriptionTerms); meaningful on subscription policies only. */
  auto_renew: Bool;
  /** keyhaven | billing */
  renewed_by: string;
  cancellation_notice_days: number;
  /** purchase | activation | calendar-year | fiscal-year */
  alignment: string;
  fiscal_year_start_month: number | null;
  /** shorten | prorate */
  first_term: string;
  /** Default price per term in minor units, and its currency. */
  price: number | null;
  currency: string | null;
  metadata: JsonText;
  /** The longest lifetime of an offline license file issued for its licenses, in days. */
  offline_max_days: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CustomersTable {
  id: string;
  name: string;
  email: string;
  contacts: JsonText;
  notes: string | null;
  metadata: JsonText;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string | null;
  password_hash: string | null;
  kind: string;
  role: string;
  customer_id: string | null;
  disabled_at: Timestamp | null;
  last_sign_in_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SessionsTable {
  id: string;
  token_digest: string;
  user_id: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  token_digest: string;
  token_hint: string;
  role: string;
  customer_id: string | null;
  created_by: string | null;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  created_at: Timestamp;
}

export interface LicensesTable {
  id: string;
  key_digest: string;
  key_ciphertext: string;
  key_hint: string;
  name: string;
  product_id: string;
  policy_id: string;
  customer_id: string | null;
  type: string;
  starts_at: Timestamp;
  expires_at: Timestamp | null;
  grace_days: number;
  /** expires_at + grace_days, kept beside expires_at by the repository so status filters stay plain comparisons. */
  grace_ends_at: Timestamp | null;
  suspended_at: Timestamp | null;
  revoked_at: Timestamp | null;
  max_machines: number | null;
  max_users: number | null;
  floating: Bool;
  heartbeat_seconds: number | null;
  features: JsonText;
  domains: JsonText;
  meters: JsonText;
  countries: JsonText;
  billing: JsonText;
  notes: string | null;
  metadata: JsonText;
  /** Subscription terms and price (JSON), on licenses issued from subscription policies; else null. */
  subscription: JsonText | null;
  /** 1 when the subscription renews at term end (0: cancelled or off); null: not a subscription. */
  auto_renew: Bool | null;
  /** Who renews it: keyhaven (the renewal sweep) or billing (an external system calls renewSubscription). */
  renewed_by: string | null;
  cancelled_at: Timestamp | null;
  /** Start of the current term; null while an activation-aligned term waits for the first activation. */
  term_starts_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RenewalsTable {
  id: string;
  license_id: string;
  customer_id: string | null;
  product_id: string;
  from_expiry: Timestamp;
  to_expiry: Timestamp;
  /** Minor units. */
  price: number | null;
  currency: string | null;
  /** auto | manual | billing */
  source: string;
  reference: string | null;
  actor_type: string;
  actor_id: string | null;
  at: Timestamp;
}

export interface TrialsTable {
  id: string;
  product_id: string;
  license_id: string;
  customer_id: string | null;
  email: string | null;
  fingerprint_digest: string | null;
  /** signup | staff */
  source: string;
  days: number;
  ip: string | null;
  converted_at: Timestamp | null;
  converted_policy_id: string | null;
  created_at: Timestamp;
}

/** One row per reminder sent: license, term (its expiry) and days before it (0: the expired notice). */
export interface RemindersSentTable {
  license_id: string;
  expires_at: Timestamp;
  offset_days: number;
  mail_id: string | null;
  sent_at: Timestamp;
}

/** Internal alerts, once per license, kind and dedupe key (a UTC day, or an expiry). */
export interface StaffAlertsTable {
  id: string;
  license_id: string;
  customer_id: string | null;
  kind: string;
  dedupe_key: string;
  detail: JsonText;
  mail_id: string | null;
  at: Timestamp;
}

export interface EventsTable {
  id: string;
  at: Timestamp;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string;
  customer_id: string | null;
  before: JsonText | null;
  after: JsonText | null;
  request_id: string | null;
  ip: string | null;
}

export interface ValidationsTable {
  id: Generated<number>;
  at: Timestamp;
  license_id: string | null;
  code: string;
  fingerprint: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface SigningKeysTable {
  id: string;
  slot: string | null;
  algorithm: string;
  public_key: string;
  private_key_ciphertext: string;
  created_at: Timestamp;
}

export interface MachinesTable {
  id: string;
  license_id: string;
  fingerprint: string;
  name: string | null;
  hostname: string | null;
  platform: string | null;
  ip: string | null;
  metadata: JsonText;
  activated_at: Timestamp;
  last_heartbeat_at: Timestamp | null;
  /** null: node-locked (the seat is held until deactivated); else the floating lease's end. */
  lease_expires_at: Timestamp | null;
  /** The named user the machine belongs to, on per-user licenses. */
  license_user_id: string | null;
  /** While an offline license file bound to this machine is out: its expiry. The seat is held until then. */
  borrowed_until: Timestamp | null;
}

export interface LicenseUsersTable {
  id: string;
  license_id: string;
  /** E-mail or user name, lowercased. */
  identifier: string;
  name: string | null;
  created_at: Timestamp;
}

export interface UsageCountersTable {
  license_id: string;
  feature: string;
  used: number;
  /** The start of the current reset period; the counter counts from here. */
  period_start: Timestamp;
  updated_at: Timestamp;
}

export interface JobsTable {
  id: string;
  type: string;
  payload: JsonText;
  /** queued | running | done | failed */
  status: string;
  run_at: Timestamp;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  locked_by: string | null;
  locked_until: Timestamp | null;
  unique_key: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface JobSchedulesTable {
  name: string;
  cron: string;
  job_type: string;
  next_run_at: Timestamp;
  last_run_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface MailTemplatesTable {
  key: string;
  subject: string;
  text: string;
  html: string;
  updated_by: string | null;
  updated_at: Timestamp;
}

export interface MailOutboxTable {
  id: string;
  template: string;
  /** Recipients, lowercase, joined by ", ". */
  to_addresses: string;
  /** Recipients left out because of their preferences, or null. */
  suppressed_to: string | null;
  subject: string;
  /** Extra headers (List-Unsubscribe, ...) as a JSON object. */
  headers: JsonText;
  /** essential | reminders | announcements | alerts */
  category: string;
  /** held | queued | sending | sent | failed | suppressed */
  status: string;
  attempts: number;
  last_error: string | null;
  message_id: string;
  dedupe_key: string | null;
  customer_id: string | null;
  user_id: string | null;
  /** While `queued`: not before this instant (retries back off). */
  next_attempt_at: Timestamp;
  /** While `sending`: when the sender's claim lapses (it died) and another run may take the mail. */
  sending_until: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  sent_at: Timestamp | null;
}

export interface MailBodiesTable {
  mail_id: string;
  text_ciphertext: string;
  html_ciphertext: string;
  /** JSON `[placeholder, secret][]`, sealed; null when the mail carries no one-time secret. */
  secrets_ciphertext: string | null;
}

/** Wrong current passwords per account and the lock they lead to (migration 0023). */
export interface PasswordAttemptsTable {
  user_id: string;
  failures: number;
  locked_until: Timestamp | null;
  updated_at: Timestamp;
}

export interface MailPreferencesTable {
  email: string;
  reminders: Bool;
  announcements: Bool;
  alerts: Bool;
  updated_by: string | null;
  updated_at: Timestamp;
}

export interface PasswordTokensTable {
  id: string;
  user_id: string;
  /** set | reset */
  purpose: string;
  token_digest: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: Timestamp;
}

/** A purchase: one license per item, for a customer found or created by e-mail. */
export interface OrdersTable {
  id: string;
  /** api | manual | stripe */
  source: string;
  external_id: string;
  request_hash: string;
  customer_id: string;
  user_id: string | null;
  email: string;
  customer_name: string | null;
  company: string | null;
  /** Minor units (cents). */
  total: number | null;
  currency: string | null;
  /** {invoiceUrl, paymentStatus, purchaseMethod, reference} */
  billing: JsonText;
  subscription_ref: string | null;
  /** JSON array of outbox ids. */
  mail_ids: JsonText;
  metadata: JsonText;
  created_at: Timestamp;
}

export interface OrderItemsTable {
  id: string;
  order_id: string;
  position: number;
  policy_id: string;
  product_id: string;
  license_id: string;
  quantity: number;
  name: string | null;
  price: number | null;
  currency: string | null;
}

/** Shop events already handled (Stripe event ids), written with their effects. */
export interface InboundEventsTable {
  source: string;
  event_id: string;
  type: string;
  /** processed | ignored */
  outcome: string;
  detail: string | null;
  order_id: string | null;
  received_at: Timestamp;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  description: string | null;
  /** JSON array of event types, patterns like `license.*`, or `*`. */
  events: JsonText;
  /** AES-256-GCM (Keyring, purpose `webhook-secret`). */
  secret_ciphertext: string;
  secret_hint: string;
  /** After a rotation with an overlap: the old secret, still signing until `previous_secret_expires_at`. */
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: Timestamp | null;
  enabled: Bool;
  disabled_reason: string | null;
  disabled_at: Timestamp | null;
  /** Failed attempts since the last successful one (automatic deliveries only). */
  consecutive_failures: number;
  /** The first failed attempt since the last successful one; null while healthy. */
  failing_since: Timestamp | null;
  last_success_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: JsonText;
  /** event | test | redelivery */
  kind: string;
  redelivery_of: string | null;
  /** pending | sending | delivered | failed */
  status: string;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Timestamp | null;
  claim_token: string | null;
  claimed_until: Timestamp | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveryAttemptsTable {
  id: string;
  delivery_id: string;
  attempt: number;
  at: Timestamp;
  status_code: number | null;
  response_body: string | null;
  duration_ms: number;
  error: string | null;
  success: Bool;
}

export interface Database {
  products: ProductsTable;
  releases: ReleasesTable;
  artifacts: ArtifactsTable;
  downloads: DownloadsTable;
  faq_entries: FaqEntriesTable;
  settings: SettingsTable;
  release_announcements: ReleaseAnnouncementsTable;
  release_retention: ReleaseRetentionTable;
  policies: PoliciesTable;
  customers: CustomersTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  licenses: LicensesTable;
  events: EventsTable;
  validations: ValidationsTable;
  signing_keys: SigningKeysTable;
  machines: MachinesTable;
  usage_counters: UsageCountersTable;
  license_users: LicenseUsersTable;
  jobs: JobsTable;
  job_schedules: JobSchedulesTable;
  renewals: RenewalsTable;
  trials: TrialsTable;
  reminders_sent: RemindersSentTable;
  staff_alerts: StaffAlertsTable;
  mail_templates: MailTemplatesTable;
  mail_outbox: MailOutboxTable;
  mail_bodies: MailBodiesTable;
  mail_preferences: MailPreferencesTable;
  password_tokens: PasswordTokensTable;
  password_attempts: PasswordAttemptsTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  inbound_events: InboundEventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable;
}
