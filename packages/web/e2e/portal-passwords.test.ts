import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { client, factories, type Client } from '../../server/src/testing/harness.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../server/src/testing/smtp.js';
import { cannotRun, launchBrowser, screenshot, signIn, skipUnlessRunnable, startWebServer, type WebServer } from './browser.js';

/**
 * The password pages: "Forgot your password?" on sign-in asks for a reset link, the mailed link (the server
 * builds it from its public URL) opens /set-password in the web app, the new password works, the link once.
 */

let server: WebServer | undefined;
let smtp: TestSmtpServer | undefined;
let api: Client;
let url: string;
let browser: Browser | undefined;
let page: Page;


before(async () => {
  if (cannotRun()) return;
  smtp = await startTestSmtpServer();
  server = await startWebServer({ config: { smtpUrl: smtp.url } });
  ({ api, url } = server);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  page.setDefaultTimeout(10_000);
});
after(async () => {
  await browser?.close();
  await server?.close();
  await smtp?.stop();
});

test('a customer resets a forgotten password through the mailed link and signs in with the new one', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const customer = await factories.customer(api, { name: 'Umbrella plc' });
  const user = await factories.signedInUser(api, server!.t.app, 'customer-member', customer.id);

  await page.goto(url + '/sign-in');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
  assert.ok(page.url().endsWith('/reset-password'), page.url());
  await page.getByLabel('E-mail').fill(user.email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await page.getByText(`If an account uses ${user.email}, a link to set a new password is on its way`).waitFor();
  await screenshot(page, 'portal-reset-password');

  await server!.t.services.worker.drain();
  const mail = smtp!.received.find((m) => m.envelopeTo.includes(user.email));
  assert.ok(mail, 'the reset mail arrived');
  const link = new RegExp(`${url.replace(/[.:/]/g, '\\$&')}/set-password\\?token=[A-Za-z0-9_-]+`).exec(mail.text ?? '')?.[0];
  assert.ok(link, `the mail links to the web app's /set-password: ${mail.text}`);

  // The link as mailed opens the page.
  await page.goto(link);
  await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
  await page.getByLabel(/New password/).fill('a brand new secret');
  await page.getByLabel('Repeat the password').fill('a different secret');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByText('The two passwords differ').waitFor();
  await page.getByLabel('Repeat the password').fill('a brand new secret');
  await screenshot(page, 'portal-set-password');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByText('Your password is set; sign in with it.').waitFor();
  assert.ok(page.url().endsWith('/sign-in'), page.url());

  // The old password no longer works; the new one does.
  const old = await client(server!.t.app, undefined).post('/v1/auth/sign-in', { email: user.email, password: user.password });
  assert.equal(old.status, 401);
  await signIn(page, url + '/sign-in', user.email, 'a brand new secret');
  await page.getByRole('heading', { name: 'Umbrella plc: licenses' }).waitFor();

  // The link works once: a second use shows the API's message.
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(link);
  await page.getByLabel(/New password/).fill('yet another secret');
  await page.getByLabel('Repeat the password').fill('yet another secret');
  await page.getByRole('button', { name: 'Set password' }).click();
  const refusal = page.getByRole('alert');
  await refusal.waitFor();
  assert.match((await refusal.textContent()) ?? '', /This link is not valid.*\(TOKEN_INVALID\)/);
});
