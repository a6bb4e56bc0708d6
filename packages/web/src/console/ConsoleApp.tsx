import { Route, Routes } from 'react-router-dom';
import type { Permission } from '../api.js';
import { ChangePassword } from '../Passwords.js';
import { can, useSession } from '../session.js';
import { NotFoundPage, Shell, type NavItem } from '../ui.js';
import { CustomerDetail } from './CustomerDetail.js';
import { Customers } from './Customers.js';
import { Dashboard } from './Dashboard.js';
import { Jobs } from './Jobs.js';
import { Events } from './Events.js';
import { LicenseDetail } from './LicenseDetail.js';
import { Licenses } from './Licenses.js';
import { MailPreferencesLookup } from './MailPreferences.js';
import { MailTemplateDetail, MailTemplates } from './MailTemplates.js';
import { Outbox, OutboxMailDetail } from './Outbox.js';
import { OrderDetail } from './OrderDetail.js';
import { Orders } from './Orders.js';
import { Policies } from './Policies.js';
import { PolicyDetail } from './PolicyDetail.js';
import { ProductDetail } from './ProductDetail.js';
import { Products } from './Products.js';
import { ReleaseDetail } from './ReleaseDetail.js';
import { Releases } from './Releases.js';
import { Trials } from './Trials.js';
import { RenewalsReport } from './RenewalsReport.js';
import { StaffUsers } from './StaffUsers.js';
import { Tokens } from './Tokens.js';
import { WebhookDeliveryDetail, WebhookDetail } from './WebhookDetail.js';
import { Webhooks } from './Webhooks.js';
import { Settings } from './Settings.js';

/**
 * The console's navigation, by group. Each page adds its line to the group it belongs to; a line with a
 * permission is left out for roles without it (the page itself still explains a 403).
 */
const NAV: (NavItem & { permission?: Permission })[] = [
  { group: 'Overview', to: '/console', label: 'Dashboard', end: true },
  { group: 'Overview', to: '/console/events', label: 'Events', permission: 'events:read' },
  { group: 'Licensing', to: '/console/licenses', label: 'Licenses' },
  { group: 'Licensing', to: '/console/trials', label: 'Trials' },
  { group: 'Licensing', to: '/console/customers', label: 'Customers' },
  { group: 'Licensing', to: '/console/orders', label: 'Orders' },
  { group: 'Catalog', to: '/console/products', label: 'Products' },
  { group: 'Catalog', to: '/console/policies', label: 'Policies' },
  { group: 'Catalog', to: '/console/releases', label: 'Releases' },
  { group: 'Communication', to: '/console/mail/templates', label: 'Mail templates', permission: 'mail:read' },
  { group: 'Communication', to: '/console/mail/outbox', label: 'Outbox', permission: 'mail:read' },
  { group: 'Communication', to: '/console/mail/preferences', label: 'Mail preferences', permission: 'mail:read' },
  { group: 'Reports', to: '/console/reports/renewals', label: 'Renewals' },
  { group: 'Integrations', to: '/console/webhooks', label: 'Webhooks', permission: 'webhooks:read' },
  { group: 'Integrations', to: '/console/tokens', label: 'API tokens', permission: 'tokens:read' },
  { group: 'Administration', to: '/console/users', label: 'Staff users', permission: 'users:read' },
  { group: 'Administration', to: '/console/jobs', label: 'Jobs', permission: 'jobs:read' },
  { group: 'Administration', to: '/console/settings', label: 'Settings' },
  { group: 'Administration', to: '/console/password', label: 'Change password' },
];

/** The vendor console, for staff roles. */
export default function ConsoleApp() {
  const { me } = useSession();
  const nav = NAV.filter((item) => item.permission === undefined || can(me, item.permission));
  return (
    <Shell title="Console" nav={nav}>
      <Routes>
        <Route index element={<Dashboard />} />
        <Route path="events" element={<Events />} />
        <Route path="products" element={<Products />} />
        <Route path="products/:id" element={<ProductDetail />} />
        <Route path="policies" element={<Policies />} />
        <Route path="policies/:id" element={<PolicyDetail />} />
        <Route path="customers" element={<Customers />} />
        <Route path="customers/:id" element={<CustomerDetail />} />
        <Route path="licenses" element={<Licenses />} />
        <Route path="licenses/:id" element={<LicenseDetail />} />
        <Route path="trials" element={<Trials />} />
        <Route path="orders" element={<Orders />} />
        <Route path="orders/:id" element={<OrderDetail />} />
        <Route path="reports/renewals" element={<RenewalsReport />} />
        <Route path="jobs" element={<Jobs />} />
        <Route path="releases" element={<Releases />} />
        <Route path="releases/:id" element={<ReleaseDetail />} />
        <Route path="mail/templates" element={<MailTemplates />} />
        <Route path="mail/templates/:key" element={<MailTemplateDetail />} />
        <Route path="mail/outbox" element={<Outbox />} />
        <Route path="mail/outbox/:id" element={<OutboxMailDetail />} />
        <Route path="mail/preferences" element={<MailPreferencesLookup />} />
        <Route path="webhooks" element={<Webhooks />} />
        <Route path="webhooks/:id" element={<WebhookDetail />} />
        <Route path="webhooks/:id/deliveries/:deliveryId" element={<WebhookDeliveryDetail />} />
        <Route path="tokens" element={<Tokens />} />
        <Route path="users" element={<StaffUsers />} />
        <Route path="settings" element={<Settings />} />
        <Route path="password" element={<ChangePassword />} />
        <Route path="*" element={<NotFoundPage back="/console" />} />
      </Routes>
    </Shell>
  );
}
