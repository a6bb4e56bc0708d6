import assert from 'node:assert/strict';
import { test } from 'node:test';
import { factories } from '../../server/src/testing/harness.js';
import { journey, PHONE, screenshot, skipUnlessRunnable } from './browser.js';

/**
 * The console's Settings page: an owner changes the reminder offsets and the alert recipients (stored,
 * as the API shows) and sees the public key the API publishes; on the Portal FAQ page it writes an FAQ
 * entry in Markdown that a customer then reads rendered on the portal; a read-only staff user sees the
 * values and the FAQ without controls.
 */

const j = journey({ config: { alertEmails: ['ops@vendor.example'] } });

test('owner: reminder offsets, alert recipients, the public key and an FAQ entry; the customer reads it; read-only staff cannot edit', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app, page } = j;
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });

  const { user: owner, nav } = await j.signInStaff('owner');
  await nav.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  assert.ok(page.url().endsWith('/console/settings'), page.url());

  // The public key is the one the API publishes, and copying it puts exactly that on the clipboard.
  const published = (await api.get('/v1/public-key')).body;
  await page.getByTestId('key-id').getByText(published.keyId).waitFor();
  assert.equal(await page.getByLabel('Public key (PEM)').inputValue(), published.pem.trim());
  assert.equal(await page.getByLabel(/Public key \(base64/).inputValue(), published.publicKey);
  await page.getByRole('button', { name: 'Copy base64 key' }).click();
  await page.getByText('Copied').first().waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), published.publicKey);

  // Reminders: defaults shown as such; drop 15 and 3, add 60; a bad value is refused before saving.
  const reminders = page.getByRole('form', { name: 'Expiry reminders' });
  assert.deepEqual(await reminders.getByRole('list', { name: 'Reminder days' }).getByRole('listitem').allInnerTexts().then((items) => items.map((s) => s.replace(/\s*×$/, ''))), [
    '30 days',
    '15 days',
    '5 days',
    '3 days',
    '1 day',
  ]);
  await reminders.getByText('default').first().waitFor();
  await reminders.getByRole('button', { name: 'Remove 15 days' }).click();
  await reminders.getByRole('button', { name: 'Remove 3 days' }).click();
  await reminders.getByLabel('Add a reminder (days)').fill('400');
  await reminders.getByRole('button', { name: 'Add', exact: true }).click();
  await reminders.getByRole('alert').getByText('whole number of days from 1 to 365').waitFor();
  await reminders.getByLabel('Add a reminder (days)').fill('5');
  await reminders.getByRole('button', { name: 'Add', exact: true }).click();
  await reminders.getByRole('alert').getByText('5 days is already in the list').waitFor();
  await reminders.getByLabel('Add a reminder (days)').fill('60');
  await reminders.getByLabel('Add a reminder (days)').press('Enter');
  await reminders.getByLabel('Remind auto-renewing subscriptions too').check();
  await reminders.getByRole('button', { name: 'Save reminders' }).click();
  await page.getByRole('status').getByText('Reminder settings saved').waitFor();
  let stored = (await api.get('/v1/settings')).body;
  assert.deepEqual(stored.reminderDays.value, [60, 30, 5, 1]);
  assert.equal(stored.reminderDays.source, 'set');
  assert.equal(stored.reminderDays.updatedBy, owner.email);
  assert.equal(stored.remindAutoRenewing.value, true);
  await page.getByRole('form', { name: 'Expiry reminders' }).getByText(`by ${owner.email}`).first().waitFor();

  // Staff alerts: remove the environment's address, add two, refuse a malformed one, change the window.
  const alerts = page.getByRole('form', { name: 'Staff alerts' });
  await alerts.getByText('ops@vendor.example').waitFor();
  await alerts.getByRole('button', { name: 'Remove ops@vendor.example' }).click();
  await alerts.getByLabel('Add a recipient').fill('not an address');
  await alerts.getByRole('button', { name: 'Add', exact: true }).click();
  await alerts.getByRole('alert').getByText('is not an e-mail address').waitFor();
  for (const address of ['Night-Shift@vendor.example', 'cto@vendor.example']) {
    await alerts.getByLabel('Add a recipient').fill(address);
    await alerts.getByRole('button', { name: 'Add', exact: true }).click();
  }
  await alerts.getByLabel(/Alert about licenses expiring within/).fill('21');
  await alerts.getByRole('button', { name: 'Save alerts' }).click();
  await page.getByRole('status').getByText('Alert settings saved').waitFor();
  stored = (await api.get('/v1/settings')).body;
  assert.deepEqual(stored.alertEmails.value, ['night-shift@vendor.example', 'cto@vendor.example']);
  assert.equal(stored.alertExpiryDays.value, 21);
  // What the services read at their next sweep.
  assert.deepEqual((await app.services.settings.current()).alertEmails, ['night-shift@vendor.example', 'cto@vendor.example']);

  await screenshot(page, 'console-settings');

  // FAQ, on its own page: a Markdown entry, shown rendered (bold, link, list), never as raw HTML.
  await nav.getByRole('link', { name: 'Portal FAQ' }).click();
  await page.getByRole('heading', { name: 'Portal FAQ', level: 1 }).waitFor();
  assert.ok(page.url().endsWith('/console/faq'), page.url());
  await page.getByText('No FAQ entries yet.').waitFor();
  await page.getByText('New FAQ entry').click();
  const newEntry = page.getByRole('form', { name: 'New FAQ entry' });
  await newEntry.getByLabel('Question').fill('How do I move my license?');
  await newEntry.getByLabel(/^Answer/).fill('Deactivate the **old machine** first.\n\n- Open [the portal](https://portal.example.com)\n- Activate the new one\n\n<script>alert(1)</script>');
  await newEntry.getByRole('button', { name: 'Add entry' }).click();
  await page.getByRole('status').getByText('Added "How do I move my license?"').waitFor();
  const entries = page.getByRole('list', { name: 'FAQ entries' });
  await entries.locator('strong', { hasText: 'old machine' }).waitFor();
  assert.equal(await entries.getByRole('link', { name: 'the portal' }).getAttribute('href'), 'https://portal.example.com');
  await entries.getByText('<script>alert(1)</script>').waitFor();
  const faq = (await api.get('/v1/faq')).body.data;
  assert.equal(faq.length, 1);
  assert.match(faq[0].answerHtml, /<strong>old machine<\/strong>/);
  // A second entry, moved above the first.
  await newEntry.getByLabel('Question').fill('Where are my invoices?');
  await newEntry.getByLabel(/^Answer/).fill('In your *shop account*.');
  await newEntry.getByRole('button', { name: 'Add entry' }).click();
  await page.getByRole('status').getByText('Added "Where are my invoices?"').waitFor();
  await page.getByRole('button', { name: 'Move up: "Where are my invoices?"' }).click();
  await page.getByRole('status').getByText('Moved "Where are my invoices?" up').waitFor();
  assert.deepEqual(
    (await api.get('/v1/faq')).body.data.map((e: any) => e.question),
    ['Where are my invoices?', 'How do I move my license?'],
  );
  await screenshot(page, 'console-faq');

  // Edit, then delete the second one (after confirming).
  await page.getByRole('button', { name: 'Edit "Where are my invoices?"' }).click();
  const edit = page.getByRole('form', { name: 'Edit "Where are my invoices?"' });
  await edit.getByLabel(/^Answer/).fill('In your **shop account**, under Orders.');
  await edit.getByRole('button', { name: 'Save entry' }).click();
  await entries.locator('strong', { hasText: 'shop account' }).waitFor();
  await page.getByRole('button', { name: 'Delete "Where are my invoices?"…' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await page.getByRole('status').getByText('Deleted "Where are my invoices?"').waitFor();
  assert.deepEqual(
    (await api.get('/v1/faq')).body.data.map((e: any) => e.question),
    ['How do I move my license?'],
  );

  // A customer user reads it, rendered, on the portal's FAQ page.
  const customer = await factories.customer(api, { name: 'Acme GmbH' });
  const portal = await j.newPage({ viewport: PHONE });
  await j.signInCustomer('customer-member', customer.id, portal);
  await portal.getByRole('heading', { name: 'Acme GmbH: licenses' }).waitFor();
  await portal.goto(`${url}/portal/faq`);
  await portal.getByRole('heading', { name: 'Frequently asked questions' }).waitFor();
  await portal.getByText('How do I move my license?').click();
  await portal.locator('.answer strong', { hasText: 'old machine' }).waitFor();
  await portal.getByRole('link', { name: 'the portal' }).waitFor();
  assert.equal(await portal.getByText('Where are my invoices?').count(), 0);
  await portal.context().close();

  // Read-only staff, on a phone-sized window: the same values, no edit controls.
  const other = await j.newPage({ viewport: PHONE });
  await j.signInStaff('read-only', other);
  await other.goto(`${url}/console/settings`);
  await other.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  await other.getByText('an owner or admin can change them').waitFor();
  await other.getByText('60 days').waitFor();
  await other.getByText('night-shift@vendor.example').waitFor();
  await other.getByText('Alert about licenses expiring within 21 days').waitFor();
  const buttons = (await other.getByRole('main').getByRole('button').allInnerTexts()).map((s) => s.trim());
  // Only the copy buttons of the public key remain.
  assert.deepEqual(buttons, ['Copy PEM', 'Copy base64 key']);
  assert.equal(await other.getByRole('main').getByRole('textbox', { name: 'Add a recipient' }).count(), 0);
  assert.equal(await other.getByRole('main').getByRole('spinbutton').count(), 0);
  await screenshot(other, 'console-settings-read-only');
  // The FAQ page is not in its navigation (it cannot edit it); opened by address, it reads the entries without controls.
  assert.equal(await other.getByRole('navigation', { name: 'Console navigation' }).getByRole('link', { name: 'Portal FAQ' }).count(), 0);
  await other.goto(`${url}/console/faq`);
  await other.getByRole('heading', { name: 'Portal FAQ', level: 1 }).waitFor();
  await other.getByText('an owner or admin can change it').waitFor();
  await other.getByText('How do I move my license?').waitFor();
  assert.equal(await other.getByRole('main').getByRole('button').count(), 0);
  assert.equal(await other.getByRole('main').getByRole('textbox').count(), 0);
  await other.context().close();
});
