import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { factories } from '../../server/src/testing/harness.js';
import { journey, screenshot, skipUnlessRunnable } from './browser.js';
import { activateMachine } from './fixtures.js';

/**
 * The vendor console beyond the first screens: a release created with notes, a file uploaded with a
 * progress bar, published with an announcement, yanked; and a license extended, its key revealed, an
 * offline license file issued and a machine deactivated.
 */

const DAY = 86_400_000;
const j = journey({ page: { acceptDownloads: true } });

test('staff: create a release with notes, upload a file with progress, publish with an announcement, yank; extend a license and reveal its key', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, page } = j;
  const product = await factories.product(api, { name: 'Orbit Studio', code: 'orbit-studio' });
  const policy = await factories.policy(api, product.id, 'timed', { durationDays: 365, maxMachines: 3 });
  const customer = await factories.customer(api, { name: 'Acme GmbH', email: 'billing@acme.example' });
  const license = await factories.license(api, policy.id, { customerId: customer.id, name: 'Acme design team' });
  await activateMachine(api, license.key, { fingerprint: 'fp-console-1', name: 'Render box' });
  const { nav } = await j.signInStaff('owner');

  // A release with Markdown notes: rendered by the server, a script in them stays text.
  await nav.getByRole('link', { name: 'Releases' }).click();
  await page.getByRole('heading', { name: 'Releases', level: 1 }).waitFor();
  await page.getByText('No releases match').waitFor();
  await page.getByText('New release').click();
  const create = page.getByRole('form', { name: 'New release' });
  await create.getByLabel('Product').selectOption({ label: 'Orbit Studio' });
  await create.getByLabel('Version').fill('v1.4');
  await create.getByLabel('Channel').selectOption('stable');
  await create.getByLabel('Release notes').fill("## What's new\n\n- **Faster** export\n\n<script>window.pwned = true</script>");
  await create.getByLabel('Documentation links').fill('Upgrade guide | https://docs.example.com/upgrade');
  await create.getByRole('button', { name: 'Create release' }).click();
  // Not semver: the API's message with its code.
  const invalid = (await create.getByRole('alert').textContent()) ?? '';
  assert.match(invalid, /\(INVALID_VERSION\)/);
  assert.doesNotMatch(invalid, /[{}]/);
  await create.getByLabel('Version').fill('1.4.0');
  await create.getByRole('button', { name: 'Create release' }).click();
  await page.getByRole('heading', { name: /Orbit Studio 1\.4\.0/ }).waitFor();
  const releaseId = page.url().split('/').pop()!;
  assert.equal(await page.getByTestId('release-status').textContent(), 'draft');
  const notes = page.getByTestId('release-notes');
  await notes.getByRole('heading', { name: "What's new" }).waitFor();
  assert.equal(await notes.locator('strong').textContent(), 'Faster');
  assert.equal(await notes.locator('script').count(), 0, 'raw HTML in notes is escaped');
  assert.equal(await page.evaluate(() => (window as unknown as { pwned?: boolean }).pwned), undefined);
  await page.getByRole('link', { name: 'Upgrade guide' }).waitFor();

  // A file, uploaded with a progress bar; then its size and SHA-256, and it is listed.
  await page.getByText('No files uploaded yet').waitFor();
  const bytes = randomBytes(512 * 1024);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const upload = page.getByRole('form', { name: 'Upload a file' });
  await upload.getByLabel('File', { exact: true }).setInputFiles({ name: 'orbit-1.4.0-linux-x64.tar.gz', mimeType: 'application/gzip', buffer: bytes });
  assert.equal(await upload.getByLabel('Download name').inputValue(), 'orbit-1.4.0-linux-x64.tar.gz');
  assert.equal(await upload.getByLabel('File type').inputValue(), 'tar.gz');
  await upload.getByLabel('Platform').fill('linux');
  await upload.getByLabel('Architecture').fill('x64');
  await upload.getByRole('button', { name: 'Upload' }).click();
  await upload.getByText('Upload complete').waitFor();
  assert.equal(await page.getByTestId('upload-progress').getAttribute('value'), '100');
  const result = (await page.getByTestId('upload-result').textContent()) ?? '';
  assert.match(result, /512 KB/);
  assert.ok(result.includes(sha256), 'the SHA-256 shown is the file’s');
  const row = page.getByRole('row', { name: /orbit-1\.4\.0-linux-x64\.tar\.gz/ });
  await row.getByText(sha256).waitFor();
  await row.getByText('linux / x64').waitFor();
  const stored = await api.get(`/v1/releases/${releaseId}/artifacts`);
  assert.equal(stored.body.data.length, 1);
  assert.equal(stored.body.data[0].sha256, sha256);
  await screenshot(page, 'console-release-draft');

  // The staff download link gives the same bytes.
  const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: /Download/ }).click()]);
  assert.equal(download.suggestedFilename(), 'orbit-1.4.0-linux-x64.tar.gz');
  const downloaded = await readFile((await download.path())!);
  assert.equal(createHash('sha256').update(downloaded).digest('hex'), sha256);

  // Publish with an announcement: the customer's address is proposed; one more is added by hand.
  const publish = page.getByRole('form', { name: 'Publish release' });
  await publish.getByLabel('Announce it by e-mail').check();
  const recipients = publish.getByRole('list', { name: 'Recipients' });
  await recipients.getByText('billing@acme.example').waitFor();
  await publish.getByLabel('Add an address').fill('press@example.com');
  await publish.getByRole('button', { name: 'Add', exact: true }).click();
  await recipients.getByText('press@example.com').waitFor();
  assert.match((await publish.getByTestId('recipient-count').textContent()) ?? '', /^2 addresses will be mailed/);
  await screenshot(page, 'console-release-publish');
  await publish.getByRole('button', { name: 'Publish and announce' }).click();
  await page.getByText(/Published 1\.4\.0 and announced it to 2 addresses/).waitFor();
  await page.getByRole('form', { name: 'Yank release' }).waitFor();
  assert.equal(await page.getByTestId('release-status').textContent(), 'published');
  assert.equal((await api.get(`/v1/releases/${releaseId}`)).body.status, 'published');

  // Yank with a reason, then it can be offered again.
  await page.getByRole('form', { name: 'Yank release' }).getByLabel('Reason').fill('data loss bug');
  await page.getByRole('button', { name: 'Yank' }).click();
  await page.getByRole('button', { name: 'Unyank' }).waitFor();
  assert.equal(await page.getByTestId('release-status').textContent(), 'yanked');
  await page.getByText(/data loss bug/).first().waitFor();
  const yanked = await api.get(`/v1/releases/${releaseId}`);
  assert.equal(yanked.body.status, 'yanked');
  assert.equal(yanked.body.yankReason, 'data loss bug');
  await screenshot(page, 'console-release-yanked');

  // The list, filtered.
  await page.goto(url + `/console/releases?productId=${product.id}&status=yanked`);
  await page.getByRole('link', { name: '1.4.0' }).waitFor();
  await page.goto(url + '/console/releases?status=draft');
  await page.getByText('No releases match').waitFor();

  // A license: extend by 30 days (the API agrees), reveal its key, issue an offline file, deactivate the machine.
  const before = new Date((await api.get(`/v1/licenses/${license.id}`)).body.expiresAt).getTime();
  await page.goto(url + `/console/licenses/${license.id}`);
  await page.getByRole('heading', { name: /Acme design team/ }).waitFor();
  const extend = page.getByRole('form', { name: 'Extend license' });
  await extend.getByLabel('Extend by days').fill('30');
  await extend.getByRole('button', { name: 'Extend' }).click();
  await page.getByText(/Extended by 30 days/).waitFor();
  const extended = new Date((await api.get(`/v1/licenses/${license.id}`)).body.expiresAt).getTime();
  assert.equal(extended - before, 30 * DAY);
  await page.getByTestId('license-history').getByText('license.extended').waitFor();

  await page.getByRole('button', { name: 'Reveal key' }).click();
  assert.equal(await page.getByTestId('revealed-key').textContent(), license.key);
  await page.getByTestId('license-history').getByText('license.key_revealed').waitFor();
  await screenshot(page, 'console-license-actions');

  await page.getByText('Offline license file').click();
  const offline = page.getByRole('form', { name: 'Offline license file' });
  await offline.getByLabel('Machine').selectOption({ label: 'Render box' });
  const [file] = await Promise.all([page.waitForEvent('download'), offline.getByRole('button', { name: 'Download license file' }).click()]);
  assert.match(file.suggestedFilename(), /\.lic$/);
  const armoured = await readFile((await file.path())!, 'utf8');
  assert.match(armoured, /^-----BEGIN KEYHAVEN LICENSE FILE-----/);

  // The file holds the machine's seat: deactivating it is refused with the API's message until the app
  // checks the file in.
  await page.getByRole('button', { name: 'Deactivate Render box' }).click();
  await page.getByText(/offline license file for this machine is out/).waitFor();
  assert.equal((await api.get(`/v1/licenses/${license.id}`)).body.activeMachines, 1);
  assert.equal((await api.post('/v1/licenses/checkin', { key: license.key, fingerprint: 'fp-console-1' })).status, 200);
  await page.reload();
  await page.getByRole('button', { name: 'Deactivate Render box' }).click();
  await page.getByText('No machine is activated').waitFor();
  assert.equal((await api.get(`/v1/licenses/${license.id}`)).body.activeMachines, 0);
});
