import { Route, Routes } from 'react-router-dom';
import { NotFoundPage, Shell, type NavItem } from '../ui.js';
import { CustomerDetail } from './CustomerDetail.js';
import { Customers } from './Customers.js';
import { Dashboard } from './Dashboard.js';
import { Events } from './Events.js';
import { LicenseDetail } from './LicenseDetail.js';
import { Licenses } from './Licenses.js';
import { Policies } from './Policies.js';
import { PolicyDetail } from './PolicyDetail.js';
import { ProductDetail } from './ProductDetail.js';
import { Products } from './Products.js';
import { ReleaseDetail } from './ReleaseDetail.js';
import { Releases } from './Releases.js';

/** The console's navigation, by group. Each page adds its line to the group it belongs to. */
const NAV: NavItem[] = [
  { group: 'Overview', to: '/console', label: 'Dashboard', end: true },
  { group: 'Overview', to: '/console/events', label: 'Events' },
  { group: 'Licensing', to: '/console/licenses', label: 'Licenses' },
  { group: 'Licensing', to: '/console/customers', label: 'Customers' },
  { group: 'Catalog', to: '/console/products', label: 'Products' },
  { group: 'Catalog', to: '/console/policies', label: 'Policies' },
  { group: 'Catalog', to: '/console/releases', label: 'Releases' },
];

/** The vendor console, for staff roles. */
export default function ConsoleApp() {
  return (
    <Shell title="Console" nav={NAV}>
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
        <Route path="releases" element={<Releases />} />
        <Route path="releases/:id" element={<ReleaseDetail />} />
        <Route path="*" element={<NotFoundPage back="/console" />} />
      </Routes>
    </Shell>
  );
}
