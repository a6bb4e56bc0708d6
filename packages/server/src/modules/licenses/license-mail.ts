import type { Customer } from '../customers/customers.service.js';
import type { Product } from '../products/products.service.js';
import type { License } from './licenses.service.js';

/** Minor units as a decimal string in the currency's own precision: 49900 EUR → "499.00", 5000 JPY → "5000". */
export function formatPrice(amount: number | null, currency: string | null): string | null {
  if (amount === null || currency === null) return null;
  let digits = 2;
  try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // An unknown currency code: assume cents.
  }
  return (amount / 10 ** digits).toFixed(digits);
}

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
