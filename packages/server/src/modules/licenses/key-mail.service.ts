import type { Keyring } from '../../crypto/keyring.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { MailService } from '../mail/mail.service.js';
import type { ProductsService } from '../products/products.service.js';
import { findKeyCiphertext } from './licenses.repository.js';
import type { LicensesService } from './licenses.service.js';

/**
 * "Send the key to the customer": the license's key in a `license.issued` mail to its customer's address,
 * delivered the way order confirmations deliver keys (the mail body is sealed in the outbox; the key is
 * never written to the audit event, which names only the address and the mail). Staff may send it again.
 */
export class LicenseKeyMailService {
  constructor(
    private readonly deps: {
      db: Db;
      keyring: Keyring;
      events: EventsService;
      licenses: LicensesService;
      customers: CustomersService;
      products: ProductsService;
      mail: MailService;
    },
  ) {}

  async send(ctx: RequestContext, licenseId: string): Promise<{ mailId: string; to: string }> {
    const { db, keyring, events, licenses, customers, products, mail } = this.deps;
    // Reads first: on SQLite a query outside the open transaction would wait for it.
    const license = await licenses.get(ctx, licenseId);
    if (!license.customerId) throw new AppError('NO_RECIPIENT', 'This license has no customer to mail the key to', { fields: { customerId: 'is not set' } });
    const customer = await customers.get(ctx, license.customerId);
    const to = customer.email.trim();
    if (!to) throw new AppError('NO_RECIPIENT', 'The customer has no e-mail address', { fields: { email: 'is not set' } });
    const product = await products.get(ctx, license.productId);
    return db.transaction().execute(async (trx) => {
      const sealed = await findKeyCiphertext(trx, license.id);
      const key = keyring.decrypt('license-key', sealed!).toString('utf8');
      const sent = await mail.send(trx, {
        template: 'license.issued',
        to,
        category: 'essential',
        customerId: customer.id,
        data: {
          customer: { name: customer.name, email: to },
          product: { name: product.name, code: product.code },
          license: { id: license.id, name: license.name, key, expiresAt: license.expiresAt, maxMachines: license.maxMachines, maxUsers: license.maxUsers },
        },
      });
      await events.record(trx, ctx, {
        action: 'license.key_mailed',
        targetType: 'license',
        targetId: license.id,
        customerId: customer.id,
        after: { to, mailId: sent.id },
      });
      return { mailId: sent.id, to };
    });
  }
}
