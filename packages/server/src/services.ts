import path from 'node:path';
import type { Config } from './config.js';
import type { Keyring } from './crypto/keyring.js';
import type { Signer } from './crypto/signing.js';
import type { DatabaseHandle } from './db/database.js';
import type { Clock } from './lib/clock.js';
import { AuthService } from './modules/auth/auth.service.js';
import { ContractsService } from './modules/contracts/contracts.service.js';
import { CustomersService } from './modules/customers/customers.service.js';
import { CustomerGroupsService } from './modules/customer-groups/customer-groups.service.js';
import { EventsService } from './modules/events/events.service.js';
import { LicensesService } from './modules/licenses/licenses.service.js';
import { ValidationLog } from './modules/validation/validation-log.js';
import { ValidationService } from './modules/validation/validation.service.js';
import { PoliciesService } from './modules/policies/policies.service.js';
import { ProductsService } from './modules/products/products.service.js';
import { ProductGroupsService } from './modules/product-groups/product-groups.service.js';
import { PartnersService } from './modules/partners/partners.service.js';
import { ReleasesService } from './modules/releases/releases.service.js';
import { AnnouncementsService } from './modules/announcements/announcements.service.js';
import { RetentionService } from './modules/retention/retention.service.js';
import { ArtifactsService } from './modules/artifacts/artifacts.service.js';
import { DownloadsService } from './modules/artifacts/downloads.service.js';
import { LicenseKeyMailService } from './modules/licenses/key-mail.service.js';
import { UpdatesService } from './modules/updates/updates.service.js';
import { StatsService } from './modules/stats/stats.service.js';
import { PartnerReportsService } from './modules/partner-reports/partner-reports.service.js';
import { FaqService } from './modules/faq/faq.service.js';
import { SettingsService } from './modules/settings/settings.service.js';
import { LocalStorage, type ArtifactStorage } from './modules/artifacts/storage.js';
import { S3Storage } from './modules/artifacts/s3-storage.js';
import { LicenseUsersService } from './modules/machines/license-users.service.js';
import { MachinesService } from './modules/machines/machines.service.js';
import { SeatsService } from './modules/machines/seats.service.js';
import { OfflineService } from './modules/offline/offline.service.js';
import { UsageService } from './modules/usage/usage.service.js';
import { UsersService } from './modules/users/users.service.js';
import { JobQueue } from './modules/jobs/jobs.service.js';
import { jobsWiring } from './modules/jobs/jobs.wiring.js';
import { Worker, type WorkerOptions } from './modules/jobs/worker.js';
import { WebhookDeliveriesService } from './modules/webhooks/webhook-deliveries.service.js';
import { WebhookEndpointsService } from './modules/webhooks/webhook-endpoints.service.js';
import { MailService } from './modules/mail/mail.service.js';
import { MailDelivery } from './modules/mail/mail-delivery.js';
import { MailPreferencesService } from './modules/mail/mail-preferences.service.js';
import { MailTemplatesService } from './modules/mail/mail-templates.service.js';
import { SubscriptionsService } from './modules/subscriptions/subscriptions.service.js';
import { RemindersService } from './modules/notifications/reminders.service.js';
import { AlertsService } from './modules/notifications/alerts.service.js';
import { NoticesService } from './modules/notifications/notices.service.js';
import { TrialsService } from './modules/trials/trials.service.js';
import { PasswordLinksService } from './modules/passwords/password-links.service.js';
import { PasswordsService } from './modules/passwords/passwords.service.js';
import { SessionsService } from './modules/sessions/sessions.service.js';
import { OnboardingService } from './modules/onboarding/onboarding.service.js';
import { OrdersService } from './modules/orders/orders.service.js';
import { StripeService } from './modules/orders/stripe.service.js';
import { installWiring } from './wiring.js';

/** What the app is built from. Tests pass their own clock; everything else is real. */
export interface Deps {
  config: Config;
  database: DatabaseHandle;
  clock: Clock;
  keyring: Keyring;
  signer: Signer;
}

export type Services = ReturnType<typeof createServices>;

/** The artifact storage driver the configuration names: files under the data directory, or an S3 bucket. */
function artifactStorage(config: Config): ArtifactStorage {
  return config.storage.driver === 's3' ? new S3Storage(config.storage) : new LocalStorage(path.join(config.dataDir, 'artifacts'));
}

/** Wires the services together; a module reaches another only through its service. */
export function createServices(
  deps: Deps,
  onLogError: (error: unknown) => void = () => {},
  workerOptions: WorkerOptions = {},
  logError: (error: unknown, message: string) => void = () => {},
) {
  const { db } = deps.database;
  const { clock, keyring, signer } = deps;
  const { publicUrl } = deps.config;
  const events = new EventsService({ db, clock });
  const customers = new CustomersService({ db, clock, events });
  const products = new ProductsService({ db, clock, events, customers });
  const policies = new PoliciesService({ db, clock, events, products });
  // Product groups carry partner rights; partners (resellers) sell the products of their groups.
  const productGroups = new ProductGroupsService({ db, clock, events, products });
  const partners = new PartnersService({ db, clock, events, productGroups });
  const passwords = new PasswordsService({ db, clock });
  const sessions = new SessionsService({ db, clock, keyring, sessionTtlHours: deps.config.sessionTtlHours });
  const users = new UsersService({ db, clock, events, customers, partners, passwords, sessions });
  const auth = new AuthService({ db, clock, keyring, events, customers, partners, users, passwords, sessions, adminToken: deps.config.adminToken });
  // Groups of a customer organization's people; licenses allocate tickets to them.
  const customerGroups = new CustomerGroupsService({ db, clock, events, customers, users });
  const licenses = new LicensesService({ db, clock, keyring, events, products, policies, customers, customerGroups, dialect: deps.database.dialect });
  const validationLog = new ValidationLog({ db, onError: onLogError });
  // Machines: the client seat protocol, the staff side (lists, resets, the cull) and named license users.
  const seats = new SeatsService({ db, clock, events, licenses, policies });
  const machines = new MachinesService({ db, dialect: deps.database.dialect, clock, events, licenses });
  const licenseUsers = new LicenseUsersService({ db, clock, events, licenses });
  const usage = new UsageService({ db, clock, events, licenses, seats });
  const validation = new ValidationService({ db, clock, licenses, seats, usage, log: validationLog });
  const releases = new ReleasesService({ db, clock, events, products });
  const storage = artifactStorage(deps.config);
  const artifacts = new ArtifactsService({ db, clock, signer, events, releases, storage, maxBytes: deps.config.artifactMaxBytes, onError: logError });
  const downloads = new DownloadsService({ db, clock, keyring, signer, releases, products, licenses, validation, storage, publicUrl, linkTtlSeconds: 600 });
  const offline = new OfflineService({ db, clock, signer, events, licenses, seats, policies });
  const jobs = new JobQueue({ db, dialect: deps.database.dialect, clock, events });
  const worker = new Worker({ db, queue: jobs, clock, ...workerOptions });
  // Release retention: per-product settings, a daily run that removes the files of releases no longer kept.
  const retention = new RetentionService({ db, clock, events, products, releases, artifacts });
  // Every audit event fans out to the subscribed webhook endpoints inside the change's own transaction.
  const allowPrivate = deps.config.webhookAllowPrivate;
  const webhookEndpoints = new WebhookEndpointsService({ db, clock, keyring, events, allowPrivate });
  const webhookDeliveries = new WebhookDeliveriesService({
    db, clock, keyring, events, jobs, endpoints: webhookEndpoints, allowPrivate, timeoutMs: deps.config.webhookTimeoutMs, poke: () => worker.poke(),
  });
  // Mail: templates, per-address preferences, the outbox (send) and its delivery job.
  const { smtpUrl, mailFrom } = deps.config;
  const mailPreferences = new MailPreferencesService({ db, clock, keyring, events, publicUrl });
  const mailTemplates = new MailTemplatesService({ db, clock, events, preferences: mailPreferences, publicUrl });
  const mailDelivery = new MailDelivery({ db, dialect: deps.database.dialect, clock, keyring, jobs, smtpUrl, mailFrom });
  const mail = new MailService({ db, clock, keyring, events, templates: mailTemplates, preferences: mailPreferences, delivery: mailDelivery, publicUrl, mailFrom });
  const licenseKeyMail = new LicenseKeyMailService({ db, keyring, events, licenses, customers, products, mail });
  const passwordLinks = new PasswordLinksService({ db, clock, keyring, events, mail, jobs, users, passwords, sessions, publicUrl });
  // Subscriptions: cancel/resume/renew and the renewal sweep (orders call renew and cancel for billing events).
  const subscriptions = new SubscriptionsService({ db, clock, events, licenses, products, customers, mail });
  // Expiry reminders and expired notices (hourly sweep + one job per mail), staff alerts, the notices feed.
  // Reminder offsets and alert recipients: staff-set values (read at each use) over the environment's defaults.
  const settings = new SettingsService({
    db,
    clock,
    events,
    defaults: {
      reminderDays: deps.config.reminderDays,
      remindAutoRenewing: deps.config.remindAutoRenewing,
      alertEmails: deps.config.alertEmails,
      alertExpiryDays: deps.config.alertExpiryDays,
    },
  });
  const reminders = new RemindersService({ db, clock, events, jobs, licenses, products, customers, mail, settings });
  const alerts = new AlertsService({ db, clock, licenses, products, customers, mail, settings, publicUrl });
  const onboarding = new OnboardingService({ customers, users, passwordLinks });
  const trials = new TrialsService({ db, clock, keyring, products, policies, customers, licenses, mail, onboarding });
  const notices = new NoticesService({ clock, licenses, settings, publicUrl });
  const updates = new UpdatesService({ clock, licenses, validation, releases, artifacts, downloads });
  const orders = new OrdersService({ db, dialect: deps.database.dialect, clock, events, products, policies, licenses, mail, onboarding });
  // Release announcements: mail about a published release to the customers entitled to it.
  const announcements = new AnnouncementsService({ db, clock, events, releases, products, licenses, customers, users, mail, mailTemplates, mailPreferences, publicUrl });
  const stripe = new StripeService({ db, clock, orders, licenses, subscriptions, webhookSecret: deps.config.stripeWebhookSecret });
  // Contracts: quotas that licenses draw from as they are issued (the drawer is installed into licenses).
  const contracts = new ContractsService({ db, clock, events, customers, policies, partners, productGroups, products, users, mail, mailTemplates, settings, publicUrl });
  const stats = new StatsService({ clock, licenses, machines, products });
  // Partner reports for batch invoicing: no table of their own, read through the services.
  const partnerReports = new PartnerReportsService({ db, licenses, subscriptions, partners, customers, products });
  const faq = new FaqService({ db, clock, events, products });
  // What each module plugs into the others (jobs and their schedules, event listeners, namers, hooks).
  // Every process defines every job type; only processes with the worker role start the worker.
  installWiring({ worker, events, seats, notices, products, releases, customers, policies, licenses, customerGroups, productGroups }, [
    jobsWiring({ jobs, clock }),
    products.wiring(),
    policies.wiring(),
    productGroups.wiring(),
    partners.wiring(),
    customers.wiring(),
    customerGroups.wiring(),
    users.wiring(),
    auth.wiring(),
    licenses.wiring(),
    machines.wiring(),
    releases.wiring(),
    artifacts.wiring(),
    retention.wiring(),
    webhookDeliveries.wiring(),
    mailDelivery.wiring(),
    passwordLinks.wiring(),
    subscriptions.wiring(),
    reminders.wiring(),
    alerts.wiring(),
    trials.wiring(),
    updates.wiring(),
    contracts.wiring(),
  ]);
  return { contracts, licenseKeyMail, stats, partnerReports, faq, settings, releases, updates, announcements, retention, artifacts, downloads, jobs, worker, webhookEndpoints, webhookDeliveries, mail, mailTemplates, mailPreferences, mailDelivery, passwords, passwordLinks, sessions, onboarding, subscriptions, reminders, alerts, notices, trials, orders, stripe, events, products, productGroups, partners, policies, customers, customerGroups, users, auth, licenses, machines, seats, licenseUsers, offline, usage, validation, validationLog, signer: deps.signer, database: deps.database };
}
