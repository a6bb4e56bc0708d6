import assert from 'node:assert/strict';
import { test } from 'node:test';
import { factories } from '../../server/src/testing/harness.js';
import { journey, screenshot, skipUnlessRunnable } from './browser.js';

/**
 * The validation log in the console: validations made through the client API (over HTTP, as an app makes
 * them) show on the license page and on the customer page, a code filter narrows them, the versions the
 * apps reported show under Reports → Versions in the field, and the portal shows the log to organization admins.
 */

const j = journey();
const WIDE = { viewport: { width: 1366, height: 900 } };

test('validations made by an app show on the license and customer pages; a code filter narrows them; versions in the field', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app } = j;
  const product = await factories.product(api, { name: 'Prism Studio' });
  const policy = await factories.policy(api, product.id, 'timed', { name: 'Annual' });
  const customer = await factories.customer(api, { name: 'Umbra Labs' });
  const license = await factories.license(api, policy.id, { customerId: customer.id, name: 'Umbra seats' });

  const validate = async (body: Record<string, unknown>) => {
    const response = await fetch(`${url}/v1/licenses/validate`, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'prism-studio/4.2.0' }, body: JSON.stringify(body) });
    assert.equal(response.status, 200);
    return (await response.json()) as { code: string };
  };
  assert.equal((await validate({ key: license.key, version: '4.2.0' })).code, 'VALID');
  assert.equal((await validate({ key: license.key, version: '4.2.0' })).code, 'VALID');
  assert.equal((await validate({ key: license.key, fingerprint: 'fp-unknown-box', version: '4.1.0' })).code, 'NO_MACHINE');
  await app.services.validationLog.flush();

  const page = await j.newPage(WIDE);
  await j.signInStaff('support', page);
  await page.goto(`${url}/console/licenses/${license.id}`);
  const log = page.getByTestId('validation-log');
  await log.waitFor();
  assert.equal(await log.locator('tbody tr').count(), 3);
  await log.getByText('fp-unknown-box').waitFor();
  await log.getByText('prism-studio/4.2.0').first().waitFor();

  const filters = page.getByRole('form', { name: 'Validation log filters' });
  await filters.getByLabel('Code').selectOption('NO_MACHINE');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="validation-log"] tbody tr').length === 1);
  assert.equal(await log.locator('tbody tr').first().getByText('NO_MACHINE').count(), 1);
  await filters.getByLabel('Code').selectOption('VALID');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="validation-log"] tbody tr').length === 2);
  await filters.getByLabel('Code').selectOption('');
  await filters.getByRole('textbox', { name: 'Fingerprint' }).fill('fp-unknown-box');
  await filters.getByRole('button', { name: 'Filter' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="validation-log"] tbody tr').length === 1);
  await filters.getByLabel('Code').selectOption('EXPIRED');
  await page.getByText('No validations match.').waitFor();
  await screenshot(page, 'license-validation-log');

  // The customer page: its licenses' validations, each linking to its license.
  await page.goto(`${url}/console/customers/${customer.id}`);
  const customerLog = page.getByTestId('validation-log');
  await customerLog.waitFor();
  assert.equal(await customerLog.locator('tbody tr').count(), 3);
  await customerLog.getByRole('link', { name: license.id }).first().click();
  await page.getByRole('heading', { name: /Umbra seats/ }).waitFor();

  // Reports → Versions in the field.
  await page.getByRole('navigation', { name: 'Console navigation' }).getByRole('link', { name: 'Versions in the field' }).click();
  const report = page.getByTestId('versions-report');
  await report.waitFor();
  const rows = await report.locator('tbody tr').allTextContents();
  assert.equal(rows.length, 2, rows.join(' | '));
  assert.match(rows[0]!, /^4\.2\.0\s*1\s*0/);
  assert.match(rows[1]!, /^4\.1\.0\s*1\s*1/);
  await screenshot(page, 'versions-in-the-field');

  // The portal: the organization's admin reads its license's log; a member sees no log.
  const portal = await j.newPage(WIDE);
  await j.signInCustomer('customer-admin', customer.id, portal);
  await portal.goto(`${url}/portal/licenses/${license.id}`);
  const portalLog = portal.getByTestId('validation-log');
  await portalLog.waitFor();
  assert.equal(await portalLog.locator('tbody tr').count(), 3);
  const memberPage = await j.newPage(WIDE);
  await j.signInCustomer('customer-member', customer.id, memberPage);
  await memberPage.goto(`${url}/portal/licenses/${license.id}`);
  await memberPage.getByRole('heading', { name: 'Machines' }).waitFor();
  assert.equal(await memberPage.getByRole('heading', { name: 'Validation log' }).count(), 0);
});
