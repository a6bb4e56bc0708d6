import { Route, Routes } from 'react-router-dom';
import { NotFoundPage, Shell } from '../ui.js';
import { Customers } from './Customers.js';
import { Dashboard } from './Dashboard.js';
import { LicenseDetail } from './LicenseDetail.js';
import { Licenses } from './Licenses.js';
import { Policies } from './Policies.js';
import { Products } from './Products.js';
import { ReleaseDetail } from './ReleaseDetail.js';
import { Releases } from './Releases.js';

const NAV = [
  { to: '/console', label: 'Dashboard', end: true },
  { to: '/console/licenses', label: 'Licenses' },
  { to: '/console/customers', label: 'Customers' },
  { to: '/console/products', label: 'Products' },
  { to: '/console/policies', label: 'Policies' },
  { to: '/console/releases', label: 'Releases' },
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
        <Route path="*" element={<NotFoundPage back="/console" />} />
      </Routes>
    </Shell>
  );
}
