import { Route, Routes } from 'react-router-dom';
import { NotFoundPage, Shell, type NavItem } from '../ui.js';
import { Customers } from './Customers.js';
import { Dashboard } from './Dashboard.js';
import { LicenseDetail } from './LicenseDetail.js';
import { Licenses } from './Licenses.js';
import { Policies } from './Policies.js';
import { Products } from './Products.js';
import { ReleaseDetail } from './ReleaseDetail.js';
import { Releases } from './Releases.js';
import { Settings } from './Settings.js';

/** The console's navigation, by group. Each page adds its line to the group it belongs to. */
const NAV: NavItem[] = [
  { group: 'Overview', to: '/console', label: 'Dashboard', end: true },
  { group: 'Licensing', to: '/console/licenses', label: 'Licenses' },
  { group: 'Licensing', to: '/console/customers', label: 'Customers' },
  { group: 'Catalog', to: '/console/products', label: 'Products' },
  { group: 'Catalog', to: '/console/policies', label: 'Policies' },
  { group: 'Catalog', to: '/console/releases', label: 'Releases' },
  { group: 'Administration', to: '/console/settings', label: 'Settings' },
];

/** The vendor console, for staff roles. */
export default function ConsoleApp() {
  return (
    <Shell title="Console" nav={NAV}>
      <Routes>
        <Route index element={<Dashboard />} />
        <Route path="products" element={<Products />} />
        <Route path="policies" element={<Policies />} />
        <Route path="customers" element={<Customers />} />
        <Route path="licenses" element={<Licenses />} />
        <Route path="licenses/:id" element={<LicenseDetail />} />
        <Route path="releases" element={<Releases />} />
        <Route path="releases/:id" element={<ReleaseDetail />} />
        <Route path="settings" element={<Settings />} />
        <Route path="*" element={<NotFoundPage back="/console" />} />
      </Routes>
    </Shell>
  );
}
