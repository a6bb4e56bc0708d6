import { Route, Routes } from 'react-router-dom';
import type { Permission } from '../api/api.js';
import { ChangePassword } from '../ui/Passwords.js';
import { can, useSession } from '../session.js';
import { NotFoundPage, Shell, type NavItem } from '../ui/ui.js';
import { CustomerDetail } from '../licensing/CustomerDetail.js';
import { Customers } from '../licensing/Customers.js';
import { Dashboard } from '../administration/Dashboard.js';
import { Jobs } from '../administration/Jobs.js';
import { Events } from '../administration/Events.js';
import { FaqEditor } from '../communication/FaqEditor.js';
import { LicenseDetail } from '../licensing/LicenseDetail.js';
import { Licenses } from '../licensing/Licenses.js';
import { MailPreferencesLookup } from '../communication/MailPreferences.js';
import { MailTemplateDetail, MailTemplates } from '../communication/MailTemplates.js';
import { Outbox, OutboxMailDetail } from '../communication/Outbox.js';
import { OrderDetail } from '../integrations/OrderDetail.js';
import { Orders } from '../integrations/Orders.js';
import { Policies } from '../catalog/Policies.js';
import { PolicyDetail } from '../catalog/PolicyDetail.js';
import { ProductDetail } from '../catalog/ProductDetail.js';
import { Products } from '../catalog/Products.js';
import { ReleaseDetail } from '../releases/ReleaseDetail.js';
import { Releases } from '../releases/Releases.js';
import { Trials } from '../licensing/Trials.js';
import { RenewalsReport } from '../licensing/RenewalsReport.js';
import { VersionsReport } from '../licensing/VersionsReport.js';
import { StaffUsers } from '../administration/StaffUsers.js';
import { Tokens } from '../integrations/Tokens.js';
import { WebhookDeliveryDetail, WebhookDetail } from '../integrations/WebhookDetail.js';
import { Webhooks } from '../integrations/Webhooks.js';
import { Settings } from '../administration/Settings.js';
import { PartnerDetail } from '../partners/PartnerDetail.js';
import { PartnerReport } from '../partners/PartnerReport.js';
import { Partners } from '../partners/Partners.js';
import { ProductGroupDetail, ProductGroups } from '../partners/ProductGroups.js';

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
  { group: 'Catalog', to: '/console/product-groups', label: 'Product groups' },
  { group: 'Partners', to: '/console/partners', label: 'Partners', permission: 'partners:read' },
  { group: 'Communication', to: '/console/mail/templates', label: 'Mail templates', permission: 'mail:read' },
  { group: 'Communication', to: '/console/mail/outbox', label: 'Outbox', permission: 'mail:read' },
  { group: 'Communication', to: '/console/mail/preferences', label: 'Mail preferences', permission: 'mail:read' },
  { group: 'Communication', to: '/console/faq', label: 'Portal FAQ', permission: 'settings:write' },
  { group: 'Reports', to: '/console/reports/renewals', label: 'Renewals' },
  { group: 'Reports', to: '/console/reports/partners', label: 'Partner report', permission: 'reports:read' },
  { group: 'Reports', to: '/console/reports/versions', label: 'Versions in the field', permission: 'reports:read' },
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
        <Route path="reports/partners" element={<PartnerReport />} />
        <Route path="reports/versions" element={<VersionsReport />} />
        <Route path="product-groups" element={<ProductGroups />} />
        <Route path="product-groups/:id" element={<ProductGroupDetail />} />
        <Route path="partners" element={<Partners />} />
        <Route path="partners/:id" element={<PartnerDetail />} />
        <Route path="jobs" element={<Jobs />} />
        <Route path="releases" element={<Releases />} />
        <Route path="releases/:id" element={<ReleaseDetail />} />
        <Route path="mail/templates" element={<MailTemplates />} />
        <Route path="mail/templates/:key" element={<MailTemplateDetail />} />
        <Route path="mail/outbox" element={<Outbox />} />
        <Route path="mail/outbox/:id" element={<OutboxMailDetail />} />
        <Route path="mail/preferences" element={<MailPreferencesLookup />} />
        <Route path="faq" element={<FaqEditor />} />
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
