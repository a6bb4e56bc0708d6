import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { verifyWebhookSignature } from '../../server/src/modules/webhooks/signature.js';
import { client, factories } from '../../server/src/testing/harness.js';
import { cannotRun, journey, screenshot, signIn, skipUnlessRunnable } from './browser.js';

/**
 * Integrations and administration in the console: an owner adds a webhook endpoint that a real receiver
 * on 127.0.0.1 answers (the server opts in to loopback addresses with KEYHAVEN_WEBHOOK_ALLOW_PRIVATE), sends a test
 * event and redelivers it; creates an API token, uses and revokes it; invites a support user, who sets a
 * password from the mailed link and finds the administration pages read-only or forbidden.
 */

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

// The receiver listens on 127.0.0.1: opt in to private webhook addresses (off by default).
const j = journey({ smtp: {}, config: { webhookAllowPrivate: true } });
let receiver: http.Server | undefined;
const received: Received[] = [];
let hookUrl: string;

before(async () => {
  if (cannotRun()) return;
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('thanks from the receiver');
    });
  });
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/keyhaven`;
});
after(async () => {
  receiver?.closeAllConnections();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
});

test('owner: webhook endpoint with a signed test event, the delivery log and redeliver; an API token used and revoked; a support user invited; an admin grants all but owner', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app, page } = j;
  const drain = () => app.services.worker.drain();
  const { user: owner, nav } = await j.signInStaff('owner');

  // —— Webhooks ——
  await nav.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
  await page.getByText('No webhook endpoints yet.').waitFor();
  await page.getByText('New endpoint').click();
  const form = page.getByRole('form', { name: 'New webhook endpoint' });
  // A link-local address (cloud metadata) is refused whatever the configuration: the API's message shows.
  await form.getByLabel(/^URL/).fill('http://169.254.169.254/latest');
  await form.getByRole('button', { name: 'Create endpoint' }).click();
  const refused = await form.getByRole('alert').textContent();
  assert.match(refused ?? '', /link-local.*\(VALIDATION_FAILED\)|\(VALIDATION_FAILED\)/);
  assert.match(refused ?? '', /169\.254\.169\.254/);
  assert.doesNotMatch(refused ?? '', /[{}]/, 'no raw JSON');

  await form.getByLabel(/^URL/).fill(hookUrl);
  await form.getByLabel(/^Description/).fill('Back office');
  // Subscribe to every license event only (so the user and token events below are not sent).
  await form.getByLabel(/All events/).uncheck();
  await form.getByText('Choose single license events').click();
  await form.getByLabel('license.revoked').check();
  await form.getByText('(1 single type chosen)').waitFor();
  await form.getByLabel(/Every license event/).check();
  assert.equal(await form.getByLabel('license.revoked').count(), 0, 'license.* replaces the single license types');
  await form.getByRole('button', { name: 'Create endpoint' }).click();
  const secret = (await page.getByTestId('secret-once').textContent()) ?? '';
  assert.match(secret, /^whsec_[A-Za-z0-9_-]{20,}$/);
  await page.getByText('it is shown only this once').waitFor();
  await page.getByRole('cell', { name: new RegExp(hookUrl.replace(/[.:/]/g, '\\$&')) }).waitFor();
  const [endpoint] = (await api.get('/v1/webhook-endpoints')).body.data;
  assert.deepEqual(endpoint.events, ['license.*']);
  assert.equal(endpoint.description, 'Back office');
  assert.equal(endpoint.secretHint, secret.slice(-4));
  await screenshot(page, 'console-webhooks');
  await page.getByRole('button', { name: 'I have stored it' }).click();
  assert.equal(await page.getByTestId('secret-once').count(), 0, 'the secret is gone once dismissed');

  // The endpoint page: send a test event; the receiver gets it signed with the secret shown once.
  await page.getByRole('link', { name: hookUrl }).click();
  await page.getByRole('heading', { name: hookUrl }).waitFor();
  await page.getByText('No deliveries yet.').waitFor();
  await page.getByRole('button', { name: 'Send test event' }).click();
  await page.getByText('A ping event is queued').waitFor();
  await drain();
  assert.equal(received.length, 1, 'the receiver got exactly the test event');
  const ping = received[0]!;
  const signature = ping.headers['keyhaven-signature'] as string;
  assert.ok(verifyWebhookSignature(secret, signature, ping.body, 300, app.clock.now()), 'signed with the secret the page showed');
  assert.equal(verifyWebhookSignature(`${secret}x`, signature, ping.body, 300, app.clock.now()), false);
  assert.equal(JSON.parse(ping.body).type, 'ping');

  await page.getByRole('button', { name: 'Refresh' }).click();
  const log = page.getByTestId('delivery-log');
  await log.getByRole('cell', { name: 'delivered' }).waitFor();
  assert.match((await log.locator('tbody tr').first().textContent()) ?? '', /ping.*test.*delivered.*1 of 1.*200/);

  // Its detail: the body as indented text, the receiver's answer; Redeliver sends it again.
  await log.getByRole('link', { name: 'ping' }).click();
  await page.getByRole('heading', { name: /ping/, level: 1 }).waitFor();
  assert.equal(await page.getByTestId('delivery-status').textContent(), 'delivered');
  const body = (await page.getByTestId('delivery-body').textContent()) ?? '';
  assert.match(body, /\n {2}"type": "ping",/, 'pretty-printed body');
  await page.getByText('thanks from the receiver').waitFor();
  await screenshot(page, 'console-webhook-delivery');
  await page.getByRole('button', { name: 'Redeliver' }).click();
  await page.getByText('A redelivery of').waitFor();
  await drain();
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByTestId('delivery-status').filter({ hasText: 'delivered' }).waitFor();
  assert.equal(received.length, 2);
  assert.equal(received[1]!.headers['keyhaven-event-id'], ping.headers['keyhaven-event-id'], 'the same event again');
  assert.notEqual(received[1]!.headers['keyhaven-webhook-id'], ping.headers['keyhaven-webhook-id'], 'as a new delivery');
  assert.ok(verifyWebhookSignature(secret, received[1]!.headers['keyhaven-signature'] as string, received[1]!.body, 300, app.clock.now()));
  await page.getByRole('link', { name: '← Endpoint and delivery log' }).click();
  await page.getByTestId('delivery-log').waitFor();
  assert.equal(await page.getByTestId('delivery-log').locator('tbody tr').count(), 2);
  assert.match((await page.getByTestId('delivery-log').locator('tbody tr').first().textContent()) ?? '', /ping.*redelivery.*delivered.*1 of 1.*200/);
  await screenshot(page, 'console-webhook-deliveries');
  // The delivery log filters by status.
  await page.getByLabel('Status').selectOption('failed');
  await page.getByText('No deliveries with status failed yet.').waitFor();
  await page.getByLabel('Status').selectOption('');
  await page.getByTestId('delivery-log').waitFor();

  // Disable and enable again; rotating asks first, then shows the new secret once.
  await page.getByRole('button', { name: 'Disable' }).click();
  await page.getByTestId('endpoint-enabled').filter({ hasText: /^no/ }).waitFor();
  await page.getByRole('button', { name: 'Enable' }).click();
  await page.getByTestId('endpoint-enabled').filter({ hasText: 'yes' }).waitFor();
  await page.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('form', { name: 'Edit webhook endpoint' });
  await edit.getByLabel(/^Description/).fill('Back office v2');
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
  await page.getByRole('definition').filter({ hasText: 'Back office v2' }).waitFor();
  assert.deepEqual((await api.get(`/v1/webhook-endpoints/${endpoint.id}`)).body.events, ['license.*'], 'the events stay as they were');
  await page.getByRole('button', { name: 'Rotate secret…' }).click();
  await page.getByRole('form', { name: 'Rotate signing secret' }).getByRole('button', { name: 'Yes, rotate' }).click();
  const rotated = (await page.getByTestId('secret-once').textContent()) ?? '';
  assert.match(rotated, /^whsec_/);
  assert.notEqual(rotated, secret);
  // The list shows the newest delivery of each endpoint.
  await nav.getByRole('link', { name: 'Webhooks' }).click();
  const listed = page.getByRole('row', { name: new RegExp(hookUrl.replace(/[.:/]/g, '\\$&')) });
  await listed.getByText('delivered', { exact: true }).waitFor();
  assert.match((await listed.textContent()) ?? '', /license\.\*.*enabled/);

  // —— API tokens ——
  await nav.getByRole('link', { name: 'API tokens' }).click();
  await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
  await page.getByText('New token').click();
  const tokenForm = page.getByRole('form', { name: 'New API token' });
  await tokenForm.getByLabel('Name').fill('Nightly export');
  await tokenForm.getByLabel('Role').selectOption('read-only');
  await tokenForm.getByLabel(/Expires in days/).fill('30');
  await tokenForm.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.getByTestId('secret-once').textContent()) ?? '';
  assert.ok(token.length > 20, token);
  const row = page.getByRole('row', { name: /Nightly export/ });
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /read-only.*all data/);
  await screenshot(page, 'console-tokens');
  const products = (credential: string) => fetch(`${url}/v1/products`, { headers: { authorization: `Bearer ${credential}` } });
  assert.equal((await products(token)).status, 200, 'the shown token works');
  await row.getByRole('button', { name: 'Revoke Nightly export' }).click();
  await row.getByRole('button', { name: 'Yes, revoke' }).click();
  await page.getByText('Revoked “Nightly export”').waitFor();
  await row.getByText(/revoked/).waitFor();
  assert.equal((await products(token)).status, 401, 'a revoked token stops working');

  // —— Staff users ——
  // A customer's portal user exists too; this page lists staff only.
  const portalUser = await factories.signedInUser(api, app.app, 'customer-member', (await factories.customer(api)).id);
  await nav.getByRole('link', { name: 'Staff users' }).click();
  await page.getByRole('heading', { name: 'Staff users', level: 1 }).waitFor();
  await page.getByRole('cell', { name: owner.email, exact: true }).waitFor();
  assert.equal(await page.getByText(portalUser.email).count(), 0, 'customer users are not listed');
  await page.getByText('Invite a staff user').click();
  const invite = page.getByRole('form', { name: 'Invite a staff user' });
  const roles = await invite.getByLabel('Role').locator('option').allTextContents();
  assert.deepEqual(roles, ['owner', 'admin', 'support', 'sales', 'read-only'], 'an owner may grant every staff role');
  const supportEmail = `sam-${Date.now()}@example.com`;
  await invite.getByLabel('E-mail').fill(supportEmail);
  await invite.getByLabel(/^Name/).fill('Sam Support');
  await invite.getByLabel('Role').selectOption('support');
  await invite.getByRole('button', { name: 'Invite' }).click();
  await page.getByText(`${supportEmail} is a support user now. A link to choose a password is on its way`).waitFor();
  const userRow = page.getByRole('row', { name: new RegExp(supportEmail) });
  assert.match((await userRow.textContent()) ?? '', /Sam Support.*support.*active.*no password yet.*never/);
  await screenshot(page, 'console-users');

  // The invitation mail links to the web app's set-password page; the new user chooses a password there.
  const link = await j.mailedPasswordLink(supportEmail);
  const supportPage = await j.newPage();
  try {
    await supportPage.goto(link);
    await supportPage.getByLabel(/New password/).fill('support staff secret');
    await supportPage.getByLabel('Repeat the password').fill('support staff secret');
    await supportPage.getByRole('button', { name: 'Set password' }).click();
    await supportPage.getByText('Your password is set; sign in with it.').waitFor();
    await signIn(supportPage, url + '/sign-in', supportEmail, 'support staff secret');
    await supportPage.getByRole('heading', { name: 'Dashboard' }).waitFor();

    // Support may read staff users (users:read) but sees no write controls.
    await supportPage.getByRole('navigation', { name: 'Console navigation' }).getByRole('link', { name: 'Staff users' }).click();
    await supportPage.getByRole('cell', { name: owner.email, exact: true }).waitFor();
    await supportPage.getByText('Your role can see staff users but not change them.').waitFor();
    assert.equal(await supportPage.getByText('Invite a staff user').count(), 0);
    assert.equal(await supportPage.getByRole('button', { name: /Change role|Disable|Enable|Send password link|Show .*link/ }).count(), 0);
    // Webhooks and tokens are for owners and admins: support's navigation has no links to them, and opened
    // by address the API's refusal shows, as a message.
    const supportNav = supportPage.getByRole('navigation', { name: 'Console navigation' });
    assert.equal(await supportNav.getByRole('link', { name: 'Webhooks' }).count(), 0);
    assert.equal(await supportNav.getByRole('link', { name: 'API tokens' }).count(), 0);
    await supportPage.goto(url + '/console/webhooks');
    const forbidden = await supportPage.getByRole('alert').first().textContent();
    assert.match(forbidden ?? '', /\(FORBIDDEN\)/);
    assert.doesNotMatch(forbidden ?? '', /[{}]/);
    assert.equal(await supportPage.getByText('New endpoint').count(), 0);
    await supportPage.goto(url + '/console/tokens');
    await supportPage.getByRole('alert').filter({ hasText: 'FORBIDDEN' }).first().waitFor();
    assert.equal(await supportPage.getByText('New token').count(), 0);

    // Back with the owner: the user's sign-in shows; change its role, then disable it (its session ends).
    await page.reload();
    const signedIn = page.getByRole('row', { name: new RegExp(supportEmail) });
    await signedIn.waitFor();
    assert.doesNotMatch((await signedIn.textContent()) ?? '', /no password yet|never/);
    await signedIn.getByLabel(`Role for ${supportEmail}`).selectOption('read-only');
    await signedIn.getByRole('button', { name: 'Change role' }).click();
    await page.getByText('Sam Support is a read-only user now.').waitFor();
    await page.getByRole('button', { name: `Disable ${supportEmail}` }).click();
    await page.getByText('Sam Support is disabled and signed out everywhere.').waitFor();
    const users = (await api.get('/v1/users?kind=staff&limit=100')).body.data as Array<{ email: string; role: string; disabled: boolean }>;
    const sam = users.find((user) => user.email === supportEmail);
    assert.equal(sam?.role, 'read-only');
    assert.equal(sam?.disabled, true);
    const again = await client(app.app, undefined).post('/v1/auth/sign-in', { email: supportEmail, password: 'support staff secret' });
    assert.equal(again.status, 401, 'a disabled user cannot sign in');
  } finally {
    await supportPage.context().close();
  }

  // An admin may grant every role but owner, and cannot change an owner.
  const adminPage = await j.newPage();
  try {
    await j.signInStaff('admin', adminPage);
    await adminPage.goto(url + '/console/users');
    await adminPage.getByText('Invite a staff user').click();
    const adminRoles = await adminPage.getByRole('form', { name: 'Invite a staff user' }).getByLabel('Role').locator('option').allTextContents();
    assert.deepEqual(adminRoles, ['admin', 'support', 'sales', 'read-only']);
    const ownerRow = adminPage.getByRole('row', { name: new RegExp(owner.email) });
    await ownerRow.getByText('Only an owner can change an owner.').waitFor();
    assert.equal(await ownerRow.getByRole('button').count(), 0);
    await adminPage.goto(url + '/console/tokens');
    await adminPage.getByText('New token').click();
    const tokenRoles = await adminPage.getByRole('form', { name: 'New API token' }).getByLabel('Role').locator('option').allTextContents();
    assert.ok(!tokenRoles.includes('owner') && tokenRoles.includes('admin') && tokenRoles.includes('customer-admin'), tokenRoles.join());
  } finally {
    await adminPage.context().close();
  }
});
