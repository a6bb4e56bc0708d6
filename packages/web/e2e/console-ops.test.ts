import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { factories } from '../../server/src/testing/harness.js';
import { freePort, journey, screenshot, skipUnlessRunnable } from './browser.js';
import { createOrder } from './fixtures.js';

/**
 * The console's operations pages: a manual order for a new customer (licenses issued and linked), the
 * order list and detail; the renewals report for a period with a renewal, and its CSV; a failed job in
 * Jobs, retried; and what a read-only role sees of them.
 */

const j = journey({ page: { acceptDownloads: true } });

/** A local calendar day as the date input takes it (yyyy-mm-dd). */
function localDay(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

test('staff: a manual order issues linked licenses; renewals report and CSV; a failed job is retried', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, app, page } = j;
  const product = await factories.product(api, { name: 'Orbit Studio', code: 'orbit-studio' });
  await factories.policy(api, product.id, 'timed', { name: 'Studio seat', durationDays: 365, maxMachines: 2 });
  const subscription = await factories.policy(api, product.id, 'subscription', { name: 'Studio monthly', termMonths: 1, price: 9900, currency: 'EUR' });
  const { nav } = await j.signInStaff('owner');

  // —— A manual order for a new customer ——
  await nav.getByRole('link', { name: 'Orders' }).click();
  await page.getByRole('heading', { name: 'Orders', level: 1 }).waitFor();
  await page.getByText('No orders match').waitFor();
  await page.getByText('New manual order').click();
  const form = page.getByRole('form', { name: 'New manual order' });
  await form.getByLabel('Order reference').fill('INV-2026-0042');
  await form.getByLabel('Buyer e-mail').fill('buyer@northwind.example');
  await form.getByLabel('Buyer name').fill('Nora North');
  await form.getByLabel('Company').fill('Northwind Ltd');
  const line = form.getByRole('group', { name: 'Line 1' });
  await line.getByLabel('Policy').selectOption({ label: 'Orbit Studio — Studio seat' });
  await line.getByLabel('Quantity').fill('3');
  await line.getByLabel('License name').fill('Northwind studio');
  await line.getByLabel('Price').fill('abc');
  await form.getByRole('button', { name: 'Create order' }).click();
  await form.getByRole('alert').getByText(/price must be an amount/).waitFor();
  await line.getByLabel('Price').fill('147.00');
  await screenshot(page, 'console-order-new');
  await form.getByRole('button', { name: 'Create order' }).click();

  const created = page.getByTestId('created-order');
  await created.getByText(/Order INV-2026-0042 recorded for buyer@northwind\.example: 1 license issued/).waitFor();
  const orders = await api.get('/v1/orders?source=manual');
  assert.equal(orders.status, 200, orders.raw);
  assert.equal(orders.body.data.length, 1);
  const order = orders.body.data[0];
  assert.equal(order.externalId, 'INV-2026-0042');
  assert.equal(order.total, 14700);
  assert.equal(order.currency, 'EUR');
  assert.equal(order.billing.paymentStatus, 'paid');
  const licenseId: string = order.items[0].licenseId;
  const license = (await api.get(`/v1/licenses/${licenseId}`)).body;
  assert.equal(license.maxMachines, 6, 'quantity 3 × the policy’s 2 seats');
  const customer = (await api.get(`/v1/customers/${order.customerId}`)).body;
  assert.equal(customer.email, 'buyer@northwind.example');
  assert.equal(customer.name, 'Northwind Ltd');
  // The key is shown once, and the issued license is linked.
  const key = (await api.get(`/v1/licenses/${licenseId}/key`)).body.key;
  assert.equal(await created.locator('code.key').textContent(), key);
  await created.getByRole('link', { name: 'Northwind studio' }).click();
  await page.getByRole('heading', { name: /Northwind studio/ }).waitFor();
  assert.ok(page.url().endsWith(`/console/licenses/${licenseId}`));

  // The list: the order with its customer, product, amount and license link; filters by source.
  await nav.getByRole('link', { name: 'Orders' }).click();
  const row = page.getByRole('row', { name: /INV-2026-0042/ });
  await row.getByText('Northwind Ltd').waitFor();
  await row.getByText('Orbit Studio').waitFor();
  await row.getByText('€147.00').waitFor();
  await row.getByText('Manual').waitFor();
  assert.equal(await row.getByRole('link', { name: 'Northwind studio' }).getAttribute('href'), `/console/licenses/${licenseId}`);
  await screenshot(page, 'console-orders');
  await page.getByLabel('Source').selectOption({ label: 'Stripe' });
  await page.getByText('No orders match').waitFor();
  await page.getByLabel('Source').selectOption({ label: 'Manual' });
  await row.waitFor();

  // The detail: lines with the license, the confirmation mail and the history.
  await row.getByRole('link', { name: 'INV-2026-0042', exact: true }).click();
  await page.getByRole('heading', { name: 'Order INV-2026-0042' }).waitFor();
  const lines = page.getByRole('table', { name: 'Order lines' });
  await lines.getByRole('link', { name: 'Northwind studio' }).waitFor();
  await lines.getByText('€147.00').waitFor();
  await page.getByTestId('order-mails').getByText(/buyer@northwind\.example/).waitFor();
  await page.getByTestId('order-history').getByText('order.created').waitFor();
  await screenshot(page, 'console-order');

  // —— Renewals report ——
  const subscriber = await factories.license(api, subscription.id, { customerId: order.customerId, name: 'Northwind monthly' });
  const renewed = await api.post(`/v1/licenses/${subscriber.id}/actions/renew-subscription`, {});
  assert.equal(renewed.status, 200, renewed.raw);
  assert.equal(renewed.body.renewal.price, 9900);
  const today = localDay(app.clock.now());
  const yesterday = localDay(new Date(app.clock.now().getTime() - 86_400_000));

  await nav.getByRole('link', { name: 'Renewals' }).click();
  await page.getByRole('heading', { name: 'Renewals', level: 1 }).waitFor();
  await page.getByLabel('From').fill(yesterday);
  await page.getByLabel('To', { exact: true }).fill(today);
  const renewals = page.getByRole('table', { name: 'Renewals in the period' });
  const renewalRow = renewals.getByRole('row', { name: /Northwind monthly/ });
  assert.equal(await renewalRow.getByRole('link', { name: 'Northwind monthly' }).getAttribute('href'), `/console/licenses/${subscriber.id}`);
  await renewalRow.getByText('Northwind Ltd').waitFor();
  await renewalRow.getByText('€99.00').waitFor();
  await renewalRow.getByText('manual').waitFor();
  const totals = page.getByTestId('renewal-totals');
  await totals.getByText('1 renewal', { exact: false }).waitFor();
  await totals.getByText('€99.00').waitFor();
  await screenshot(page, 'console-renewals');

  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  assert.equal(csv.suggestedFilename(), `renewals-${yesterday}-to-${today}.csv`);
  const text = await readFile((await csv.path())!, 'utf8');
  const [header, ...rows] = text.trim().split(/\r\n/);
  assert.match(header!, /^renewal_id,at,license_id,/);
  assert.equal(rows.length, 1);
  assert.ok(rows[0]!.includes(subscriber.id), 'the CSV lists the renewed license');
  assert.ok(rows[0]!.includes(',99.00,EUR,manual'), rows[0]);
  await page.getByText('CSV downloaded.').waitFor();

  // A period without it.
  await page.getByLabel('From').fill('2020-01-01');
  await page.getByLabel('To', { exact: true }).fill('2020-01-31');
  await page.getByText('No renewals in this period.').waitFor();

  // —— A job that fails: an export to a receiver that is down ——
  const port = await freePort();
  app.services.worker.define<{ orderId: string }>({
    type: 'erp.export',
    run: async (payload) => {
      try {
        await fetch(`http://127.0.0.1:${port}/orders`, { method: 'POST', body: JSON.stringify(payload) });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        throw new Error(`ERP export to 127.0.0.1:${port} failed: ${cause?.code ?? String(error)}`);
      }
    },
  });
  const { id: jobId } = await app.services.jobs.enqueue(app.deps.database.db, { type: 'erp.export', payload: { orderId: order.id }, maxAttempts: 2 });
  await app.services.worker.drain();
  app.clock.advance(5 * 60_000);
  await app.services.worker.drain();
  const failed = await api.get(`/v1/jobs/${jobId}`);
  assert.equal(failed.body.status, 'failed');
  assert.equal(failed.body.attempts, 2);

  await nav.getByRole('link', { name: 'Jobs' }).click();
  await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
  assert.equal(await page.getByLabel('Status').inputValue(), 'failed', 'failed jobs first');
  const jobRow = page.getByTestId(`job-${jobId}`);
  await jobRow.getByText('erp.export').waitFor();
  await jobRow.getByText('2 of 2').waitFor();
  await jobRow.getByText(/ECONNREFUSED/).waitFor();
  const schedules = page.getByRole('table', { name: 'Recurring jobs' });
  await schedules.getByRole('row', { name: /mail\.send/ }).getByText('* * * * *').waitFor();
  await screenshot(page, 'console-jobs');
  await jobRow.getByRole('button', { name: `Retry erp.export ${jobId}` }).click();
  await page.getByRole('status').getByText(/erp\.export .* is queued again/).waitFor();
  const retried = await api.get(`/v1/jobs/${jobId}`);
  assert.equal(retried.body.status, 'queued');
  assert.equal(retried.body.attempts, 0);
  await page.getByText('No failed jobs').waitFor();
  const history = await api.get(`/v1/events?targetType=job&targetId=${jobId}`);
  assert.equal(history.body.data[0].action, 'job.retried');
});

test('read-only staff: no order form, no Jobs entry, and a clear no-access message on the jobs page', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url } = j;
  const product = await factories.product(api, { name: 'Atlas CAD' });
  const policy = await factories.policy(api, product.id, 'perpetual');
  await createOrder(api, { externalId: 'SHOP-7', customer: { email: 'ops@atlas.example' }, items: [{ policyId: policy.id }], sendEmail: false });
  const readerPage = await j.newPage();
  try {
    const { nav } = await j.signInStaff('read-only', readerPage);
    await nav.getByRole('link', { name: 'Renewals' }).waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Jobs' }).count(), 0);
    await nav.getByRole('link', { name: 'Orders' }).click();
    await readerPage.getByRole('heading', { name: 'Orders', level: 1 }).waitFor();
    await readerPage.getByRole('row', { name: /SHOP-7/ }).getByText('Shop / API').waitFor();
    assert.equal(await readerPage.getByText('New manual order').count(), 0);
    await readerPage.goto(url + '/console/jobs');
    const alert = readerPage.getByRole('alert');
    await alert.getByText('No access.').waitFor();
    assert.match((await alert.textContent()) ?? '', /\(FORBIDDEN\)/);
  } finally {
    await readerPage.context().close();
  }
});
