import assert from 'node:assert/strict';
import { test } from 'node:test';
import { factories } from '../../server/src/testing/harness.js';
import { journey, PHONE, screenshot, skipUnlessRunnable } from './browser.js';
import { activateMachine, useCredits } from './fixtures.js';

/** The customer portal: a customer user sees its organization's licenses, the expiry banner, and nothing of others. */

const DAY = 86_400_000;
// A phone-sized window: the portal must work there.
const j = journey({ page: { viewport: PHONE } });

test('customer: the licenses dashboard warns about a license expiring in 10 days; another organization\'s license is not found', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app, page } = j;
  const now = app.clock.now().getTime();
  const product = await factories.product(api, { name: 'Orbit Studio' });
  const policy = await factories.policy(api, product.id, 'timed', { durationDays: 365, maxMachines: 5 });
  const mine = await factories.customer(api, { name: 'Acme GmbH' });
  const theirs = await factories.customer(api, { name: 'Globex Ltd' });
  const soon = await factories.license(api, policy.id, { customerId: mine.id, name: 'Acme render farm', expiresAt: new Date(now + 10 * DAY).toISOString() });
  const later = await factories.license(api, policy.id, { customerId: mine.id, name: 'Acme studio', expiresAt: new Date(now + 200 * DAY).toISOString(),
    meters: [{ feature: 'cloud-renders', limit: 100, period: 'monthly' }],
  });
  await useCredits(app, later.key, 'cloud-renders', 7);
  const other = await factories.license(api, policy.id, { customerId: theirs.id, name: 'Globex secret project' });
  await activateMachine(api, later.key, { fingerprint: 'fp-portal-1', name: 'Design workstation' });

  const member = await j.signInCustomer('customer-member', mine.id);
  await page.getByRole('heading', { name: 'Acme GmbH: licenses' }).waitFor();
  assert.ok(page.url().endsWith('/portal'), page.url());
  // A member starts on its own tickets (none is allocated to it by name), then asks for everything it may see.
  await page.getByText('No license is allocated to you by name.').waitFor();
  await page.getByRole('button', { name: 'All licenses I can see' }).click();
  const banner = page.getByTestId('expiry-banner');
  await banner.waitFor();
  const bannerText = (await banner.textContent()) ?? '';
  assert.match(bannerText, /1 license expires within 30 days/);
  assert.match(bannerText, /Orbit Studio \(10 days left\)/);
  assert.doesNotMatch(bannerText, /200 days/);
  // Both of its licenses, with seats and days left; none of the other organization's.
  const rows = page.getByRole('row');
  assert.equal(await rows.count(), 3, 'a header row and two licenses');
  await page.getByRole('row', { name: /Acme studio/ }).getByText('1 of 5').waitFor();
  // Its usage of metered features, and when it was created.
  await page.getByRole('row', { name: /Acme studio/ }).getByText('cloud-renders: 7 of 100').waitFor();
  await page.getByRole('columnheader', { name: 'Created' }).waitFor();
  await page.getByRole('row', { name: /Acme render farm/ }).getByText('10 days').waitFor();
  assert.equal(await page.getByText('Globex').count(), 0);
  await screenshot(page, 'portal-licenses');

  // Its own license page.
  await page.getByRole('row', { name: /Acme studio/ }).getByRole('link').click();
  await page.getByRole('heading', { name: /Acme studio/ }).waitFor();
  await page.getByRole('cell', { name: 'Design workstation' }).waitFor();
  await page.getByText('…' + later.keyHint).waitFor();
  await screenshot(page, 'portal-license');

  // Another organization's license by URL: the API answers 404 and the page shows no data.
  const direct = await api.call('GET', `/v1/licenses/${other.id}`, undefined, { authorization: `Bearer ${member.token}` });
  assert.equal(direct.status, 404);
  await page.goto(`${url}/portal/licenses/${other.id}`);
  await page.getByRole('heading', { name: 'Not found' }).waitFor();
  await page.getByText('does not exist, or you have no access to it').waitFor();
  const body = (await page.locator('body').textContent()) ?? '';
  assert.doesNotMatch(body, /Globex|secret project/);
  assert.doesNotMatch(body, new RegExp(other.keyHint));
  await screenshot(page, 'portal-not-found');

  // The console is not for customer users: they land back on the portal.
  await page.goto(`${url}/console/licenses/${soon.id}`);
  await page.getByRole('heading', { name: 'Acme GmbH: licenses' }).waitFor();
  assert.ok(page.url().endsWith('/portal'), page.url());
});
