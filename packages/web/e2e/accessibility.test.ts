import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { client, factories } from '../../server/src/testing/harness.js';
import { accessibilityViolations, cspViolations, describeViolations, journey, skipUnlessRunnable, type Journey } from './browser.js';
import { activateMachine, createOrder, createRelease, publishRelease, uploadArtifact, useCredits } from './fixtures.js';

/**
 * The accessibility audit: every page of the console and the portal, filled with data, is checked by
 * axe-core against the WCAG 2.1 A and AA rules (labels, names, contrast, landmarks, ARIA), on a desktop
 * and on a phone-sized window; and the keyboard alone reaches the content through the skip link.
 */

const ids: Record<string, string> = {};

/** Every page filled: a license with usage and a machine, a published release with a file, an FAQ entry, an order, a trial, a webhook. */
async function fillPages({ api, app }: Journey): Promise<void> {
  const product = await factories.product(api, { name: 'Orbit Studio' });
  const policy = await factories.policy(api, product.id, 'timed', { durationDays: 365, maxMachines: 5 });
  const customer = await factories.customer(api, { name: 'Acme GmbH' });
  const license = await factories.license(api, policy.id, { customerId: customer.id, name: 'Acme studio', features: ['export-pdf'],
    meters: [{ feature: 'cloud-renders', limit: 100, period: 'monthly' }],
  });
  const soon = new Date(app.clock.now().getTime() + 10 * 86_400_000).toISOString();
  await factories.license(api, policy.id, { customerId: customer.id, name: 'Acme render farm', expiresAt: soon });
  await useCredits(app, license.key, 'cloud-renders', 7);
  await activateMachine(api, license.key, { fingerprint: 'fp-a11y-1', name: 'Design workstation', hostname: 'design-01' });
  // The validation log (license and customer pages) and the versions report have rows to show.
  assert.equal((await client(app.app, undefined).post('/v1/licenses/validate', { key: license.key, fingerprint: 'fp-a11y-1', version: '1.3.0' })).status, 200);
  await app.services.validationLog.flush();
  const release = await createRelease(api, product.id, '1.4.0', { notes: '## New\n\n- Faster renders', docLinks: [{ title: 'User guide', url: 'https://docs.example.com/1.4' }], videoUrl: 'https://video.example.com/1.4' });
  await uploadArtifact(api, release.id, 'orbit-1.4.0.zip', Buffer.from('orbit 1.4.0 build'));
  await publishRelease(api, release.id);
  assert.equal((await api.post('/v1/faq', { question: 'How do I move a seat?', answer: 'Deactivate the old machine **first**.' })).status, 201);
  const order = await createOrder(api, { externalId: 'a11y-1', customer: { email: 'buyer@acme.example', name: 'Dana Reyes', company: 'Acme GmbH' }, items: [{ policyId: policy.id, name: 'Dana seat' }] });
  await factories.policy(api, product.id, 'trial');
  const trial = await api.post('/v1/licenses/trials', { productId: product.id, email: 'trial@globex.example', sendEmail: false });
  assert.equal(trial.status, 201, trial.raw);
  // The portal's groups and contracts pages: a group with a member, a license pack with one license drawn.
  const team = await api.post(`/v1/customers/${customer.id}/groups`, { name: 'Design' });
  assert.equal(team.status, 201, team.raw);
  const designer = await api.post('/v1/users', { email: 'designer@acme.example', role: 'customer-member', customerId: customer.id });
  assert.equal((await api.post(`/v1/customer-groups/${team.body.id}/members`, { userId: designer.body.id, admin: true })).status, 200);
  const contract = await api.post('/v1/contracts', { customerId: customer.id, policyId: policy.id, unit: 'licenses', quantity: 10 });
  assert.equal(contract.status, 201, contract.raw);
  await factories.license(api, policy.id, { customerId: customer.id, contractId: contract.body.id, name: 'Acme pack seat' });
  const webhook = await api.post('/v1/webhook-endpoints', { url: 'https://hooks.example.com/keyhaven', events: ['license.*'] });
  assert.equal(webhook.status, 201, webhook.raw);
  // Selling through a partner: a product group, a partner with rights on it, a user, contracts on both holders.
  const group = await api.post('/v1/product-groups', { name: 'Studio suite', productIds: [product.id] });
  assert.equal(group.status, 201, group.raw);
  const partner = await api.post('/v1/partners', { name: 'Resell AG', grants: [{ productGroupId: group.body.id, rights: ['trials:create', 'licenses:create'] }] });
  assert.equal(partner.status, 201, partner.raw);
  assert.equal((await api.post('/v1/users', { email: 'seller@resell.example', role: 'partner-admin', partnerId: partner.body.id })).status, 201);
  for (const holder of [{ partnerId: partner.body.id }, { customerId: customer.id }]) {
    const contract = await api.post('/v1/contracts', { ...holder, policyId: policy.id, unit: 'licenses', quantity: 20 });
    assert.equal(contract.status, 201, contract.raw);
  }
  Object.assign(ids, {
    group: group.body.id as string,
    partner: partner.body.id as string,
    license: license.id,
    release: release.id,
    customer: customer.id,
    product: product.id,
    policy: policy.id,
    webhook: webhook.body.id as string,
    order: order.id,
    mail: order.mailIds[0]!,
  });
}
const j = journey({ setup: fillPages });

/** Opens `path`, waits until its heading shows and nothing is loading, and returns axe's violations. */
async function audit(page: Page, path: string): Promise<string | null> {
  await page.goto(j.url + path);
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
  '/console/product-groups',
  `/console/product-groups/${ids.group}`,
  '/console/partners',
  `/console/partners/${ids.partner}`,
  '/console/reports/partners',
  '/console/reports/versions',
];
const PORTAL_PAGES = () => [
  '/portal',
  `/portal/licenses/${ids.license}`,
  '/portal/machines',
  '/portal/downloads',
  '/portal/offline-activation',
  '/portal/faq',
  '/portal/notifications',
  '/portal/groups',
  '/portal/contracts',
];

for (const [device, viewport] of [
  ['desktop', { width: 1280, height: 900 }],
  ['phone', { width: 390, height: 844 }],
] as const) {
  test(`the sign-in and password pages pass the WCAG 2.1 AA rules (${device})`, async (t) => {
    if (skipUnlessRunnable(t)) return;
    const page = await j.newPage({ viewport });
    await auditAll(page, ['/sign-in', '/reset-password', '/set-password?token=not-a-real-token']);
    await page.context().close();
  });

  test(`every console page passes the WCAG 2.1 AA rules (${device})`, async (t) => {
    if (skipUnlessRunnable(t)) return;
    const page = await j.newPage({ viewport });
    await j.signInStaff('owner', page);
    await auditAll(page, CONSOLE_PAGES());
    await page.context().close();
  });

  test(`every portal page passes the WCAG 2.1 AA rules (${device})`, async (t) => {
    if (skipUnlessRunnable(t)) return;
    const page = await j.newPage({ viewport });
    await j.signInCustomer('customer-admin', ids.customer!, page);
    await auditAll(page, PORTAL_PAGES());
    await page.context().close();
  });
}

test('the keyboard alone: the skip link is the first stop and moves focus to the content; the navigation follows', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { url, page } = j;
  await j.signInStaff('owner');
  await page.goto(url + '/console/licenses');
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
});
