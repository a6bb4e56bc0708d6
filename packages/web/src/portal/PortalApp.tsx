import { Route, Routes } from 'react-router-dom';
import { ChangePassword } from '../ui/Passwords.js';
import { NotFoundPage, Shell } from '../ui/ui.js';
import { can, useSession } from '../session.js';
import { PortalContracts } from './PortalContracts.js';
import { PortalDownloads } from './PortalDownloads.js';
import { PortalGroups } from './PortalGroups.js';
import { PortalFaq } from './PortalFaq.js';
import { PortalLicense } from './PortalLicense.js';
import { PortalLicenses } from './PortalLicenses.js';
import { PortalMachines } from './PortalMachines.js';
import { PortalNotifications } from './PortalNotifications.js';
import { PortalOffline } from './PortalOffline.js';

const NAV = [
  { to: '/portal', label: 'Licenses', end: true },
  { to: '/portal/groups', label: 'Groups' },
  { to: '/portal/contracts', label: 'Contracts' },
  { to: '/portal/machines', label: 'Activations' },
  { to: '/portal/downloads', label: 'Downloads' },
  { to: '/portal/offline-activation', label: 'Offline activation' },
  { to: '/portal/faq', label: 'FAQ' },
  { to: '/portal/notifications', label: 'Notifications' },
  { to: '/portal/password', label: 'Change password' },
];

/** The customer portal, for customer users: their own organization's licenses only (the API scopes every read). */
export default function PortalApp() {
  const { me } = useSession();
  // Contracts are for customer admins (contracts:read); groups for anyone of the organization (a member sees its own).
  const nav = NAV.filter((item) => item.to !== '/portal/contracts' || can(me, 'contracts:read'));
  return (
    <Shell title="Portal" nav={nav}>
      <Routes>
        <Route index element={<PortalLicenses />} />
        <Route path="licenses/:id" element={<PortalLicense />} />
        <Route path="groups" element={<PortalGroups />} />
        <Route path="contracts" element={<PortalContracts />} />
        <Route path="machines" element={<PortalMachines />} />
        <Route path="downloads" element={<PortalDownloads />} />
        <Route path="offline-activation" element={<PortalOffline />} />
        <Route path="faq" element={<PortalFaq />} />
        <Route path="notifications" element={<PortalNotifications />} />
        <Route path="password" element={<ChangePassword />} />
        <Route path="*" element={<NotFoundPage back="/portal" />} />
      </Routes>
    </Shell>
  );
}
