import { Route, Routes } from 'react-router-dom';
import { can, useSession } from '../session.js';
import { ChangePassword } from '../ui/Passwords.js';
import { NotFoundPage, Shell, type NavItem } from '../ui/ui.js';
import { PartnerProvider } from './partner-context.js';
import { PartnerCustomer, PartnerCustomers } from './PartnerCustomers.js';
import { PartnerDownloads } from './PartnerDownloads.js';
import { PartnerHome } from './PartnerHome.js';
import { PartnerLicense } from './PartnerLicense.js';
import { PartnerLicenses } from './PartnerLicenses.js';
import { PartnerReport } from './PartnerReport.js';
import { PartnerTrials } from './PartnerTrials.js';
import { PartnerUsers } from './PartnerUsers.js';

/**
 * The partner face, for partner users (resellers, distributors): its contracts and rights, its own customers
 * and the licenses of its groups' products. The API scopes every read and checks the partner's right on the
 * product at every write; this face hides what the rights do not allow and shows the API's refusals.
 */
export default function PartnerApp() {
  const { me } = useSession();
  const nav: NavItem[] = [
    { to: '/partner', label: 'Home', end: true },
    { to: '/partner/customers', label: 'Customers' },
    { to: '/partner/licenses', label: 'Licenses' },
    { to: '/partner/trials', label: 'Trials' },
    { to: '/partner/downloads', label: 'Downloads' },
    ...(can(me, 'reports:read') ? [{ to: '/partner/report', label: 'Report' }] : []),
    ...(can(me, 'users:read') ? [{ to: '/partner/users', label: 'Users' }] : []),
    { to: '/partner/password', label: 'Change password' },
  ];
  return (
    <Shell title="Partner" nav={nav}>
      <PartnerProvider>
        <Routes>
          <Route index element={<PartnerHome />} />
          <Route path="customers" element={<PartnerCustomers />} />
          <Route path="customers/:id" element={<PartnerCustomer />} />
          <Route path="licenses" element={<PartnerLicenses />} />
          <Route path="licenses/:id" element={<PartnerLicense />} />
          <Route path="trials" element={<PartnerTrials />} />
          <Route path="downloads" element={<PartnerDownloads />} />
          {can(me, 'reports:read') ? <Route path="report" element={<PartnerReport />} /> : null}
          {can(me, 'users:read') ? <Route path="users" element={<PartnerUsers />} /> : null}
          <Route path="password" element={<ChangePassword />} />
          <Route path="*" element={<NotFoundPage back="/partner" />} />
        </Routes>
      </PartnerProvider>
    </Shell>
  );
}
