import type { Customer } from '../customers/customers.service.js';
import type { Product } from '../products/products.service.js';
import type { License } from './licenses.service.js';

export { formatPrice } from '../../lib/money.js';

/**
 * The variables the license mail templates share (see the samples in mail/templates.ts): the customer,
 * the product and the license (never its key: only mails that hand a key out add it).
 */
export function licenseMailData(license: License, product: Pick<Product, 'name' | 'code'>, customer: Pick<Customer, 'name' | 'email'> | null) {
  return {
    customer: customer ? { name: customer.name, email: customer.email } : null,
    product: { name: product.name, code: product.code },
    license: {
      id: license.id,
      name: license.name,
      keyHint: license.keyHint,
      type: license.type,
      expiresAt: license.expiresAt,
      graceEndsAt: license.graceEndsAt,
      maxMachines: license.maxMachines,
      autoRenew: license.subscription?.autoRenew ?? false,
    },
  };
}
