import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { client, factories } from '../../server/src/testing/harness.js';
import { accessibilityViolations, cannotRun, cspViolations, describeViolations, launchBrowser, signIn, skipUnlessRunnable, startWebServer, type WebServer } from './browser.js';

/**
 * The accessibility audit: every page of the console and the portal, filled with data, is checked by
 * axe-core against the WCAG 2.1 A and AA rules (labels, names, contrast, landmarks, ARIA), on a desktop
 * and on a phone-sized window; and the keyboard alone reaches the content through the skip link.
 */

let server: WebServer | undefined;
let browser: Browser | undefined;
const ids: Record<string, string> = {};

before(async () => {
  if (cannotRun()) return;
  server = await startWebServer();
  browser = await launchBrowser();
  const { api, t: app } = server;
  const product = await factories.product(api, { name: 'Orbit Studio' });
  const policy = await factories.policy(api, product.id, 'timed', { durationDays: 365, maxMachines: 5 });
  const customer = await factories.customer(api, { name: 'Acme GmbH' });
  const license = await factories.license(api, policy.id, { customerId: customer.id, name: 'Acme studio', features: ['export-pdf'],
    meters: [{ feature: 'cloud-renders', limit: 100, period: 'monthly' }],
  });
  const soon = new Date(app.clock.now().getTime() + 10 * 86_400_000).toISOString();
  await factories.license(api, policy.id, { customerId: customer.id, name: 'Acme render farm', expiresAt: soon });
  assert.equal((await client(app.app, undefined).post('/v1/usage', { key: license.key, feature: 'cloud-renders', amount: 7 })).status, 200);
  const activated = await api.post('/v1/machines/activate', { key: license.key, fingerprint: 'fp-a11y-1', name: 'Design workstation', hostname: 'design-01' });
  assert.equal(activated.status, 201, activated.raw);
  const release = await api.post('/v1/releases', { productId: product.id, version: '1.4.0', notes: '## New\n\n- Faster renders', docLinks: [{ title: 'User guide', url: 'https://docs.example.com/1.4' }], videoUrl: 'https://video.example.com/1.4' });
  assert.equal(release.status, 201, release.raw);
  const bytes = Buffer.from('orbit 1.4.0 build');
  const upload = await api.call('PUT', `/v1/releases/${release.body.id}/artifacts?platform=linux&arch=x64&fileType=zip&fileName=orbit-1.4.0.zip`, bytes, {
    'content-type': 'application/octet-stream',
  });
  assert.equal(upload.status, 201, upload.raw);
  assert.equal((await api.post(`/v1/releases/${release.body.id}/actions/publish`, {})).status, 200);
  assert.equal((await api.post('/v1/faq', { question: 'How do I move a seat?', answer: 'Deactivate the old machine **first**.' })).status, 201);
  const order = await api.post('/v1/orders', { externalId: 'a11y-1', customer: { email: 'buyer@acme.example', name: 'Dana Reyes', company: 'Acme GmbH' }, items: [{ policyId: policy.id, name: 'Dana seat' }] });
  assert.equal(order.status, 201, order.raw);
  await factories.policy(api, product.id, 'trial');
  const trial = await api.post('/v1/licenses/trials', { productId: product.id, email: 'trial@globex.example', sendEmail: false });
  assert.equal(trial.status, 201, trial.raw);
  const webhook = await api.post('/v1/webhook-endpoints', { url: 'https://hooks.example.com/keyhaven', events: ['license.*'] });
  assert.equal(webhook.status, 201, webhook.raw);
  Object.assign(ids, {
    license: license.id,
    release: release.body.id as string,
    customer: customer.id,
    product: product.id,
    policy: policy.id,
    webhook: webhook.body.id as string,
    order: order.body.id as string,
    mail: order.body.mailIds[0] as string,
  });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens `path`, waits until its heading shows and nothing is loading, and returns axe's violations. */
async function audit(page: Page, path: string): Promise<string | null> {
  await page.goto(server!.url + path);
  await page.locator('main h1').first().waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.loading').length === 0);
  const violations = await accessibilityViolations(page);
  return violations.length === 0 ? null : describeViolations(path, violations);
}

/** Audits each page; also fails when Chromium reports anything blocked by the Content-Security-Policy. */
async function auditAll(page: Page, paths: string[]): Promise<void> {
  const blocked = cspViolations(page);
  const problems: string[] = [];
  for (const path of paths) {
    const problem = await audit(page, path);
    if (problem) problems.push(problem);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
  assert.deepEqual(blocked, [], 'the app works under its Content-Security-Policy');
}

const CONSOLE_PAGES = () => [
  '/console',
  '/console/licenses',
  `/console/licenses/${ids.license}`,
  '/console/customers',
  '/console/products',
  '/console/policies',
  '/console/releases',
  `/console/releases/${ids.release}`,
  '/console/trials',
  '/console/orders',
  `/console/orders/${ids.order}`,
  '/console/reports/renewals',
  '/console/jobs',
  '/console/mail/templates',
  '/console/mail/templates/license.issued',
  '/console/mail/outbox',
  `/console/mail/outbox/${ids.mail}`,
  '/console/mail/preferences',
  '/console/events',
  `/console/products/${ids.product}`,
  `/console/policies/${ids.policy}`,
  `/console/customers/${ids.customer}`,
  '/console/webhooks',
  `/console/webhooks/${ids.webhook}`,
  '/console/tokens',
  '/console/users',
  '/console/settings',
  '/console/faq',
];
const PORTAL_PAGES = () => [
  '/portal',
  `/portal/licenses/${ids.license}`,
  '/portal/machines',
  '/portal/downloads',
  '/portal/offline-activation',
  '/portal/faq',
  '/portal/notifications',
];

for (const [device, viewport] of [
  ['desktop', { width: 1280, height: 900 }],
  ['phone', { width: 390, height: 844 }],
] as const) {
  test(`the sign-in and password pages pass the WCAG 2.1 AA rules (${device})`, async (t) => {
    if (skipUnlessRunnable(t)) return;
    const page = await browser!.newPage({ viewport });
    await auditAll(page, ['/sign-in', '/reset-password', '/set-password?token=not-a-real-token']);
    await page.close();
  });

  test(`every console page passes the WCAG 2.1 AA rules (${device})`, async (t) => {
    if (skipUnlessRunnable(t)) return;
    const owner = await factories.signedInUser(server!.api, server!.t.app, 'owner');
    const page = await browser!.newPage({ viewport });
    await signIn(page, server!.url + '/', owner.email, owner.password);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await auditAll(page, CONSOLE_PAGES());
    await page.close();
  });

  test(`every portal page passes the WCAG 2.1 AA rules (${device})`, async (t) => {
    if (skipUnlessRunnable(t)) return;
    const admin = await factories.signedInUser(server!.api, server!.t.app, 'customer-admin', ids.customer);
    const page = await browser!.newPage({ viewport });
    await signIn(page, server!.url + '/', admin.email, admin.password);
    await page.getByRole('heading', { name: /licenses/ }).waitFor();
    await auditAll(page, PORTAL_PAGES());
    await page.close();
  });
}

test('the keyboard alone: the skip link is the first stop and moves focus to the content; the navigation follows', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const owner = await factories.signedInUser(server!.api, server!.t.app, 'owner');
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, server!.url + '/', owner.email, owner.password);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.goto(server!.url + '/console/licenses');
  await page.getByRole('heading', { name: 'Licenses' }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main', 'focus moved to the main content');
  // From the top again: past the skip link and the sign-out button come the navigation links, in order.
  await page.reload();
  await page.getByRole('heading', { name: 'Licenses' }).waitFor();
  const reached: string[] = [];
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    reached.push((await page.evaluate(() => document.activeElement?.textContent?.trim())) ?? '');
  }
  assert.deepEqual(reached.slice(0, 5), ['Skip to content', 'Sign out', 'Dashboard', 'Events', 'Licenses'], reached.join(' | '));
  // Enter on a focused link navigates.
  await page.keyboard.press('Enter');
  assert.ok(new URL(page.url()).pathname.startsWith('/console/'), page.url());
  await page.close();
});
