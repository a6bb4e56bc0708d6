import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildApp } from '../../server/src/app.js';
import { client, factories, type Client } from '../../server/src/testing/harness.js';
import { journey, PHONE, screenshot, signIn, skipUnlessRunnable } from './browser.js';
import { createOrder } from './fixtures.js';

/**
 * The e-mail pages. The server starts as a fresh install does, without SMTP settings, so mail is held:
 * an owner edits the license.issued subject (the preview follows), an order's mail shows up held with
 * the new subject, the template is reset, and "Send held mail" says SMTP is missing. Then the operator
 * sets SMTP_URL and restarts (a new app on the same database and port): the held mail is released and
 * arrives; a mail the SMTP server refuses fails and is retried. Last, a customer user turns reminders off
 * on the portal's Notifications page.
 */

/** The app after the restart with SMTP settings: closed before the journey's server, whose database it shares. */
let restarted: Awaited<ReturnType<typeof buildApp>> | undefined;
/** Addresses the test SMTP server refuses for good (550) for now. */
const refused = new Set<string>();
const j = journey({
  smtp: { rcptCode: (address) => (refused.has(address) ? 550 : undefined), configure: false },
  teardown: async () => restarted?.app.close(),
});

async function order(api: Client, policyId: string, email: string, name: string): Promise<{ key: string; mailIds: string[] }> {
  const created = await createOrder(api, { externalId: `e2e-${email}`, customer: { email, name, company: 'Acme GmbH' }, items: [{ policyId, name: `${name} seat` }] });
  return { key: created.licenses[0]!.key, mailIds: created.mailIds };
}

test('staff: edit a template with a live preview, find its mail in the outbox, reset it; release held mail once SMTP is set; retry a failed mail; a customer turns reminders off', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, page, smtp } = j;
  const product = await factories.product(api, { name: 'Photon Studio', code: 'photon-studio' });
  const policy = await factories.policy(api, product.id, 'timed', { durationDays: 365, maxMachines: 2 });
  const { nav } = await j.signInStaff('owner');

  // The template list: every built-in template, none customized yet.
  await nav.getByRole('link', { name: 'Mail templates' }).click();
  await page.getByRole('heading', { name: 'Mail templates', level: 1 }).waitFor();
  const issuedRow = page.getByRole('row', { name: /license\.issued/ });
  await issuedRow.getByText('default').waitFor();
  assert.ok((await page.getByRole('row').count()) > 10, 'the built-in templates are listed');
  await screenshot(page, 'console-mail-templates');

  // The editor: the preview renders the sample data and follows an unsaved change.
  await issuedRow.getByRole('link', { name: 'license.issued' }).click();
  await page.getByRole('heading', { name: 'license.issued' }).waitFor();
  const subject = page.getByTestId('preview-subject');
  await page.waitForFunction(() => document.querySelector('[data-testid="preview-subject"]')?.textContent === 'Your Photon Studio license key');
  assert.match((await page.getByTestId('preview-text').textContent()) ?? '', /F2A65-VPQAS-871CH-C03B0-FGKD1-1QX3C/, 'the text body with the sample key');
  const frame = page.frameLocator('iframe[title="HTML preview"]');
  await frame.getByRole('heading', { name: 'Your Photon Studio license' }).waitFor();
  assert.equal(await page.locator('iframe[title="HTML preview"]').getAttribute('sandbox'), '', 'the HTML preview is sandboxed');
  await page.getByText(/^Variables/).click();
  await page.getByRole('list', { name: 'Variables of this template' }).getByText('license.key', { exact: true }).waitFor();
  await page.getByRole('list', { name: 'Variables of every mail' }).getByText('signInUrl', { exact: true }).waitFor();

  const form = page.getByRole('form', { name: 'Edit template' });
  // A syntax error: the preview says so, and saving shows the API's TEMPLATE_INVALID next to the form.
  await form.getByLabel('Subject').fill('{% if product.name %}Broken');
  await page.getByText(/^Preview: The subject template is invalid/).waitFor();
  await form.getByRole('button', { name: 'Save' }).click();
  assert.match((await form.getByRole('alert').textContent()) ?? '', /The subject template is invalid.*\(TEMPLATE_INVALID\)/);
  assert.equal(await form.getByLabel('Subject').getAttribute('aria-invalid'), 'true');

  await form.getByLabel('Subject').fill('Keys for {{ customer.name }}: {{ product.name }} is ready');
  await page.waitForFunction(() => document.querySelector('[data-testid="preview-subject"]')?.textContent === 'Keys for Acme Corp: Photon Studio is ready');
  assert.equal(await subject.textContent(), 'Keys for Acme Corp: Photon Studio is ready');
  assert.equal((await api.get('/v1/mail-templates/license.issued')).body.customized, false, 'a preview saves nothing');
  await frame.getByRole('heading', { name: 'Your Photon Studio license' }).waitFor();
  await screenshot(page, 'console-mail-template-editor');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').getByText(/^Saved\./).waitFor();
  await page.getByRole('heading', { name: /license\.issued\s*customized/ }).waitFor();
  const saved = (await api.get('/v1/mail-templates/license.issued')).body;
  assert.equal(saved.customized, true);
  assert.equal(saved.subject, 'Keys for {{ customer.name }}: {{ product.name }} is ready');

  // An order issues a license; its mail is recorded with the new subject and, without SMTP, held.
  const dana = await order(api, policy.id, 'dana@acme.example', 'Dana Reyes');
  await nav.getByRole('link', { name: 'Outbox' }).click();
  await page.getByRole('heading', { name: 'Outbox', level: 1 }).waitFor();
  const banner = page.getByRole('region', { name: 'Held mail' });
  await banner.getByText('1 mail is held: no SMTP server was configured').waitFor();
  const mailLink = page.getByRole('link', { name: 'Keys for Dana Reyes: Photon Studio is ready' });
  await mailLink.waitFor();
  await page.getByRole('row', { name: /Keys for Dana Reyes/ }).getByText('held').waitFor();
  // The status filter and the recipient search narrow the list.
  await page.getByLabel('Status').selectOption('sent');
  await page.getByText('No mail matches.').waitFor();
  await page.getByLabel('Status').selectOption('held');
  await mailLink.waitFor();
  await page.getByLabel('Recipient').fill('nobody@acme.example');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('No mail matches.').waitFor();
  await page.getByLabel('Recipient').fill('dana@acme.example');
  await page.getByRole('button', { name: 'Search' }).click();
  await mailLink.waitFor();
  assert.ok(page.url().includes('status=held') && page.url().includes('to=dana%40acme.example'), page.url());
  await screenshot(page, 'console-outbox');

  // Without SMTP the server refuses to release held mail, and says why.
  await banner.getByRole('button', { name: 'Send held mail' }).click();
  assert.match((await banner.getByRole('alert').textContent()) ?? '', /No SMTP server is configured.*\(SMTP_NOT_CONFIGURED\)/);

  // The mail itself: recipients, status, the reason it is held, the body with the key, the HTML sandboxed.
  await mailLink.click();
  await page.getByRole('heading', { name: /Keys for Dana Reyes: Photon Studio is ready/ }).waitFor();
  assert.equal(await page.getByTestId('mail-status').textContent(), 'held');
  assert.match((await page.getByTestId('mail-last-error').textContent()) ?? '', /No SMTP server is configured/);
  const text = (await page.getByTestId('mail-text').textContent()) ?? '';
  assert.ok(text.includes(dana.key), 'the text body holds the issued key');
  assert.match(text, /set-password\?token=\[one-time secret\]/, 'one-time tokens are not in the stored mail at all');
  const mailFrame = page.locator('iframe[title="HTML body of the mail"]');
  assert.equal(await mailFrame.getAttribute('sandbox'), '');
  await page.frameLocator('iframe[title="HTML body of the mail"]').getByText(dana.key).waitFor();
  await page.getByRole('button', { name: 'Send held mail' }).waitFor();
  await mailFrame.scrollIntoViewIfNeeded(); // a frame never scrolled into view stays blank in a full-page screenshot
  await screenshot(page, 'console-outbox-mail');

  // Reset the template (after a confirmation): new mail uses the default again; recorded mail keeps its subject.
  await page.getByRole('link', { name: 'license.issued' }).click();
  await page.getByRole('heading', { name: /license\.issued\s*customized/ }).waitFor();
  let confirmed = '';
  page.once('dialog', (dialog) => {
    confirmed = dialog.message();
    void dialog.accept();
  });
  await page.getByRole('button', { name: 'Reset to default' }).click();
  await page.getByRole('status').getByText('Reset to the default content.').waitFor();
  assert.match(confirmed, /Reset license\.issued to the default content\?/);
  await page.getByRole('heading', { name: /license\.issued\s*default/ }).waitFor();
  assert.equal(await page.getByRole('form', { name: 'Edit template' }).getByLabel('Subject').inputValue(), 'Your {{ product.name }} license key');
  assert.equal((await api.get('/v1/mail-templates/license.issued')).body.customized, false);
  assert.equal((await api.get(`/v1/outbox/${dana.mailIds[0]}`)).body.subject, 'Keys for Dana Reyes: Photon Studio is ready');

  // The operator sets SMTP_URL and restarts: a new app on the same database, at the same address.
  const first = j.app;
  const port = Number(new URL(url).port);
  await first.app.close();
  restarted = await buildApp({ ...first.deps, config: { ...first.deps.config, smtpUrl: smtp.url } });
  await restarted.app.listen({ port, host: '127.0.0.1' });
  const api2 = client(restarted.app);
  const drain = () => restarted!.services.worker.drain();

  await page.goto(url + '/console/mail/outbox');
  await banner.getByRole('button', { name: 'Send held mail' }).click();
  await banner.getByRole('status').getByText('Released 1 held mail to the queue.').waitFor();
  assert.equal((await api2.get(`/v1/outbox/${dana.mailIds[0]}`)).body.status, 'queued');
  await drain();
  const arrived = smtp.received.find((mail) => mail.envelopeTo.includes('dana@acme.example'));
  assert.ok(arrived, 'the released mail reached the SMTP server');
  assert.equal(arrived.subject, 'Keys for Dana Reyes: Photon Studio is ready');
  await page.reload();
  await page.getByRole('row', { name: /Keys for Dana Reyes/ }).getByText('sent').waitFor();
  assert.equal(await banner.count(), 0, 'no held mail left: no banner');

  // A mail the SMTP server refuses (550) fails; once the address is fixed on its side, Retry sends it.
  refused.add('bounce@acme.example');
  const bounce = await order(api2, policy.id, 'bounce@acme.example', 'Bo Unce');
  await drain();
  assert.equal((await api2.get(`/v1/outbox/${bounce.mailIds[0]}`)).body.status, 'failed');
  await page.getByLabel('Status').selectOption('failed');
  await page.getByRole('link', { name: /Your Photon Studio license key/ }).click();
  await page.getByRole('heading', { name: /Your Photon Studio license key/ }).waitFor();
  assert.equal(await page.getByTestId('mail-status').textContent(), 'failed');
  assert.match((await page.getByTestId('mail-last-error').textContent()) ?? '', /550/);
  refused.delete('bounce@acme.example');
  await page.getByRole('button', { name: 'Retry' }).click();
  await page.getByRole('status').getByText('Queued again for delivery.').waitFor();
  // The notice shows before the page has re-read the mail: wait for the re-read status (fails on timeout).
  await page.getByTestId('mail-status').filter({ hasText: /^queued$/ }).waitFor();
  assert.equal(await page.getByTestId('mail-status').textContent(), 'queued');
  await drain();
  assert.ok(smtp.received.some((mail) => mail.envelopeTo.includes('bounce@acme.example')), 'the retried mail arrived');
  await page.reload();
  await page.getByTestId('mail-status').getByText('sent').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Retry' }).count(), 0, 'nothing to retry on a sent mail');

  // The preference lookup support uses: an address's opt-outs, changed here by the owner (mail:write).
  await nav.getByRole('link', { name: 'Mail preferences' }).click();
  await page.getByLabel('E-mail address').fill('dana@acme.example');
  await page.getByRole('button', { name: 'Look up' }).click();
  const preferences = page.getByRole('form', { name: 'Preferences of dana@acme.example' });
  await preferences.getByText('Never changed: every category is on.').waitFor();
  await preferences.getByLabel(/Announcements/).uncheck();
  await preferences.getByRole('button', { name: 'Save preferences' }).click();
  await preferences.getByRole('status').getByText('Saved for dana@acme.example: no announcements.').waitFor();
  assert.equal((await api2.get('/v1/mail-preferences/dana@acme.example')).body.announcements, false);

  // A customer user: the portal's Notifications page.
  const customer = await factories.customer(api2, { name: 'Initech' });
  const member = await factories.signedInUser(api2, restarted.app, 'customer-member', customer.id);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, url + '/sign-in', member.email, member.password);
  await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
  const notifications = page.getByRole('form', { name: 'E-mail notifications' });
  await notifications.getByText(member.email).waitFor();
  const reminders = notifications.getByLabel(/Reminders/);
  assert.equal(await reminders.isChecked(), true);
  await reminders.uncheck();
  await notifications.getByRole('button', { name: 'Save' }).click();
  await notifications.getByRole('status').getByText('Saved. You receive announcements besides the essential mail.').waitFor();
  const stored = (await api2.get(`/v1/mail-preferences/${encodeURIComponent(member.email)}`)).body;
  assert.equal(stored.reminders, false);
  assert.equal(stored.announcements, true);
  await screenshot(page, 'portal-notifications');
  // A reload shows the stored choice.
  await page.reload();
  assert.equal(await page.getByRole('form', { name: 'E-mail notifications' }).getByLabel(/Reminders/).isChecked(), false);
});

test('support (mail:read, no mail:write) reads templates and preferences without the buttons to change them, on a phone', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { url } = j;
  // Signed in on the app that runs now (the restarted one when the first journey got there).
  const app = restarted?.app ?? j.app.app;
  const support = await factories.signedInUser(client(app), app, 'support');
  const phone = await j.newPage({ viewport: PHONE });
  try {
    await signIn(phone, url + '/sign-in', support.email, support.password);
    await phone.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await phone.goto(url + '/console/mail/templates/license.issued');
    await phone.getByRole('heading', { name: 'license.issued' }).waitFor();
    await phone.getByText('Your role may read templates but not change them.').waitFor();
    assert.equal(await phone.getByRole('form', { name: 'Edit template' }).getByLabel('Subject').getAttribute('readonly'), '');
    // Nothing wider than the phone's screen.
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling');
    assert.equal(await phone.getByRole('button', { name: 'Save' }).count(), 0);
    await phone.goto(url + '/console/mail/preferences?email=dana@acme.example');
    await phone.getByText(/changing them needs mail:write/).waitFor();
    assert.equal(await phone.getByRole('button', { name: 'Save preferences' }).count(), 0);
  } finally {
    await phone.context().close();
  }
});
