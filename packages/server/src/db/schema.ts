import type { Timestamp } from './columns.js';
import type { ReleaseAnnouncementsTable } from '../modules/announcements/announcements.tables.js';
import type { ArtifactsTable, DownloadsTable } from '../modules/artifacts/artifacts.tables.js';
import type { ApiTokensTable } from '../modules/auth/auth.tables.js';
import type { ContractsTable } from '../modules/contracts/contracts.tables.js';
import type { CustomersTable } from '../modules/customers/customers.tables.js';
import type { CustomerGroupsTable, CustomerGroupMembersTable } from '../modules/customer-groups/customer-groups.tables.js';
import type { EventsTable } from '../modules/events/events.tables.js';
import type { FaqEntriesTable } from '../modules/faq/faq.tables.js';
import type { JobsTable, JobSchedulesTable } from '../modules/jobs/jobs.tables.js';
import type { LicensesTable } from '../modules/licenses/licenses.tables.js';
import type { MachinesTable, LicenseUsersTable } from '../modules/machines/machines.tables.js';
import type { MailTemplatesTable, MailOutboxTable, MailBodiesTable, MailPreferencesTable } from '../modules/mail/mail.tables.js';
import type { RemindersSentTable, StaffAlertsTable } from '../modules/notifications/notifications.tables.js';
import type { OrdersTable, OrderItemsTable, InboundEventsTable } from '../modules/orders/orders.tables.js';
import type { PasswordAttemptsTable, PasswordTokensTable } from '../modules/passwords/passwords.tables.js';
import type { PartnersTable, PartnerGrantsTable } from '../modules/partners/partners.tables.js';
import type { ProductGroupsTable, ProductGroupProductsTable } from '../modules/product-groups/product-groups.tables.js';
import type { PoliciesTable } from '../modules/policies/policies.tables.js';
import type { ProductsTable } from '../modules/products/products.tables.js';
import type { ReleasesTable } from '../modules/releases/releases.tables.js';
import type { ReleaseRetentionTable } from '../modules/retention/retention.tables.js';
import type { SessionsTable } from '../modules/sessions/sessions.tables.js';
import type { SettingsTable } from '../modules/settings/settings.tables.js';
import type { RenewalsTable } from '../modules/subscriptions/subscriptions.tables.js';
import type { TrialsTable } from '../modules/trials/trials.tables.js';
import type { UsageCountersTable } from '../modules/usage/usage.tables.js';
import type { UsersTable } from '../modules/users/users.tables.js';
import type { ValidationsTable } from '../modules/validation/validation.tables.js';
import type { WebhookEndpointsTable, WebhookDeliveriesTable, WebhookDeliveryAttemptsTable } from '../modules/webhooks/webhooks.tables.js';

export type { Bool, JsonText, Timestamp } from './columns.js';

/** The instance's signing keys (crypto/signing.ts). */
export interface SigningKeysTable {
  id: string;
  slot: string | null;
  algorithm: string;
  public_key: string;
  private_key_ciphertext: string;
  created_at: Timestamp;
}

/**
 * The database: every module's tables, each declared beside its module in `<module>.tables.ts` and
 * queried only by that module, plus the signing keys.
 */
export interface Database {
  products: ProductsTable;
  product_groups: ProductGroupsTable;
  product_group_products: ProductGroupProductsTable;
  partners: PartnersTable;
  partner_grants: PartnerGrantsTable;
  releases: ReleasesTable;
  artifacts: ArtifactsTable;
  downloads: DownloadsTable;
  faq_entries: FaqEntriesTable;
  settings: SettingsTable;
  release_announcements: ReleaseAnnouncementsTable;
  release_retention: ReleaseRetentionTable;
  policies: PoliciesTable;
  customers: CustomersTable;
  customer_groups: CustomerGroupsTable;
  customer_group_members: CustomerGroupMembersTable;
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
  contracts: ContractsTable;
}
