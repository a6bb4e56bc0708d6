import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createActivationRequest } from '../../sdk/src/activation-request.js';
import { verifyLicenseFile } from '../../sdk/src/license-file.js';
import { factories } from '../../server/src/testing/harness.js';
import { journey, PHONE, screenshot, skipUnlessRunnable } from './browser.js';
import { activateMachine, createRelease, publishRelease, uploadArtifact, useCredits } from './fixtures.js';

/**
 * The customer portal, second part: an organization admin downloads the current release (the browser gets the
 * file through a fresh signed link), is told clearly when a release is not included in its licenses, reveals
 * its key, deactivates a machine, activates a machine offline from its activation request file and finds it
 * in the activations search; the FAQ renders its answers.
 */

// A phone-sized window: the portal must work there.
const j = journey({ page: { viewport: PHONE, acceptDownloads: true } });
const downloads = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-portal-'));
after(() => rmSync(downloads, { recursive: true, force: true }));

/** On a phone the page itself never scrolls sideways (wide tables scroll inside their frame). */
async function assertFitsWidth(where: string) {
  const [scrollWidth, width] = await j.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scrollWidth <= width, `${where}: the page is ${scrollWidth}px wide in a ${width}px window`);
}

test('customer admin: downloads the current release, is told about a release its licenses lack, deactivates a machine, activates one offline', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, app, page } = j;
  const product = await factories.product(api, { name: 'Orbit Studio' });
  const policy = await factories.policy(api, product.id, 'timed', { durationDays: 365, maxMachines: 5 });
  const render = await factories.product(api, { name: 'Orbit Render' });
  const renderPolicy = await factories.policy(api, render.id, 'timed', { durationDays: 365, maxMachines: 5 });
  const customer = await factories.customer(api, { name: 'Acme GmbH' });
  const license = await factories.license(api, policy.id, { customerId: customer.id, name: 'Acme studio', features: ['export-pdf'],
    meters: [{ feature: 'cloud-renders', limit: 100, period: 'monthly' }],
  });
  await useCredits(app, license.key, 'cloud-renders', 7);
  await factories.license(api, renderPolicy.id, { customerId: customer.id, name: 'Acme render' });
  await activateMachine(api, license.key, { fingerprint: 'fp-portal-dl-1', name: 'Design workstation', hostname: 'design-01' });

  // Two published versions of Orbit Studio (the newer is current), with notes, links and a file each.
  const previous = await createRelease(api, product.id, '1.0.0', { notes: 'The first release.' });
  await uploadArtifact(api, previous.id, 'orbit-1.0.0.zip', Buffer.from('orbit one point oh'));
  await publishRelease(api, previous.id);
  const current = await createRelease(api, product.id, '1.1.0', {
    notes: '## What is new\n\n- **Faster** exports\n\n<script>window.injected = true</script>',
    docLinks: [{ title: 'User guide', url: 'https://docs.example.com/orbit/1.1' }],
    videoUrl: 'https://video.example.com/orbit-1.1',
  });
  const fileBytes = Buffer.from('orbit 1.1.0 installer bytes '.repeat(100));
  await uploadArtifact(api, current.id, 'orbit-1.1.0.zip', fileBytes);
  await publishRelease(api, current.id);
  // Orbit Render 3.0 needs a feature Acme's license lacks: the download is refused with NOT_ENTITLED.
  const gated = await createRelease(api, render.id, '3.0.0', { requirements: ['gpu-farm'], notes: 'GPU farm support.' });
  await uploadArtifact(api, gated.id, 'render-3.0.0.zip', Buffer.from('render'));
  await publishRelease(api, gated.id);

  await j.signInCustomer('customer-admin', customer.id);
  await page.getByRole('heading', { name: 'Acme GmbH: licenses' }).waitFor();

  // Downloads: the current version with its sanitized notes, links, and the file.
  await page.getByRole('link', { name: 'Downloads' }).click();
  await page.getByRole('heading', { name: 'Downloads', level: 1 }).waitFor();
  const studio = page.getByRole('region', { name: 'Orbit Studio' });
  const currentCard = studio.getByRole('article', { name: /Version 1\.1\.0/ });
  await currentCard.getByRole('heading', { name: 'What is new' }).waitFor();
  await currentCard.getByText('Faster').waitFor();
  assert.equal(await page.evaluate(() => (window as unknown as { injected?: boolean }).injected), undefined, 'the notes run no script');
  assert.match((await currentCard.textContent()) ?? '', /<script>/, 'raw HTML in notes is shown as text');
  assert.equal(await currentCard.getByRole('link', { name: 'User guide' }).getAttribute('href'), 'https://docs.example.com/orbit/1.1');
  await currentCard.getByRole('link', { name: /Video/ }).waitFor();
  await studio.getByText('Previous versions (1)').waitFor();
  await screenshot(page, 'portal-downloads');
  await assertFitsWidth('downloads');

  const [download] = await Promise.all([page.waitForEvent('download'), currentCard.getByRole('button', { name: 'Download orbit-1.1.0.zip' }).click()]);
  assert.equal(download.suggestedFilename(), 'orbit-1.1.0.zip');
  const saved = path.join(downloads, 'orbit-1.1.0.zip');
  await download.saveAs(saved);
  assert.deepEqual(readFileSync(saved), fileBytes, 'the browser got the file exactly');

  // The previous version is there too, behind its disclosure.
  await studio.getByText('Previous versions (1)').click();
  await studio.getByRole('article', { name: /Version 1\.0\.0/ }).getByRole('button', { name: 'Download orbit-1.0.0.zip' }).waitFor();

  // A release the licenses do not include: a clear message, no download.
  const renderCard = page.getByRole('region', { name: 'Orbit Render' }).getByRole('article', { name: /Version 3\.0\.0/ });
  await renderCard.getByRole('button', { name: 'Download render-3.0.0.zip' }).click();
  const refusal = renderCard.getByRole('alert');
  await refusal.waitFor();
  assert.match((await refusal.textContent()) ?? '', /licenses do not include this download \(No license entitles you.*\)\. Contact your vendor/);
  await screenshot(page, 'portal-downloads-not-entitled');

  // The license page: features, the key revealed, and the machine deactivated.
  await page.getByRole('link', { name: 'Licenses' }).click();
  await page.getByRole('row', { name: /Acme studio/ }).getByRole('link').click();
  await page.getByRole('heading', { name: /Acme studio/ }).waitFor();
  await page.getByRole('list', { name: 'Features' }).getByText('export-pdf').waitFor();
  // Usage of the metered feature: 7 of 100 this month.
  await page.getByRole('row', { name: /cloud-renders/ }).getByRole('cell', { name: '93', exact: true }).waitFor();
  assert.match((await page.getByRole('row', { name: /cloud-renders/ }).textContent()) ?? '', /cloud-renders7100.*93monthly since/);
  await page.getByRole('button', { name: 'Reveal key' }).click();
  assert.equal(await page.getByTestId('license-key').textContent(), license.key);
  await page.getByRole('row', { name: /Design workstation/ }).getByRole('button', { name: 'Details of Design workstation' }).waitFor();
  await page.getByRole('cell', { name: 'design-01' }).waitFor();
  await screenshot(page, 'portal-license-machines');
  await assertFitsWidth('license page');
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Deactivate Design workstation' }).click();
  await page.getByText('No machine is activated on this license.').waitFor();
  const left = await api.get(`/v1/machines?licenseId=${license.id}`);
  assert.equal(left.body.data.length, 0, 'the API deactivated it');

  // Offline activation: the SDK's request file in, a license file bound to the machine out.
  const requestFile = path.join(downloads, 'activation-request.txt');
  writeFileSync(requestFile, createActivationRequest({ key: license.key, fingerprint: 'fp-offline-lab-1', name: 'Lab PC', hostname: 'lab-01', platform: 'linux' }));
  await page.getByRole('link', { name: 'Offline activation' }).click();
  await page.getByRole('heading', { name: 'Offline activation' }).waitFor();
  await page.getByLabel('Request file').setInputFiles(requestFile);
  await page.getByTestId('request-machine').getByText('Lab PC · lab-01 · linux').waitFor();
  await page.getByRole('button', { name: 'Activate and get the license file' }).click();
  const fileLink = page.getByRole('link', { name: /Download license file/ });
  await fileLink.waitFor();
  await screenshot(page, 'portal-offline-activation');
  await assertFitsWidth('offline activation');
  const [licenseDownload] = await Promise.all([page.waitForEvent('download'), fileLink.click()]);
  assert.equal(licenseDownload.suggestedFilename(), 'keyhaven-license-Lab-PC.lic');
  const licensePath = path.join(downloads, 'license.lic');
  await licenseDownload.saveAs(licensePath);
  const licenseFile = readFileSync(licensePath, 'utf8');
  assert.match(licenseFile, /-----BEGIN KEYHAVEN LICENSE FILE-----/);
  const publicKey = (await api.get('/v1/public-key')).body.pem as string;
  const payload = verifyLicenseFile(licenseFile, { publicKey, fingerprint: 'fp-offline-lab-1' });
  assert.equal(payload.fingerprint, 'fp-offline-lab-1', 'the file is bound to the offline machine and its signature holds');

  // The activations search finds the new machine by host name, with its license.
  await page.getByRole('link', { name: 'Activations' }).click();
  await page.getByLabel(/Search machines/).fill('lab-0');
  await page.getByRole('button', { name: 'Search' }).click();
  const row = page.getByRole('row', { name: /Lab PC/ });
  await row.getByRole('link', { name: 'Acme studio' }).waitFor();
  assert.equal(await page.getByRole('row').count(), 2, 'a header row and the one match');
  assert.ok(page.url().endsWith('/portal/machines?q=lab-0'), page.url());
  await page.getByLabel(/Search machines/).fill('no-such-host');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('No machine matches “no-such-host”.').waitFor();
  await screenshot(page, 'portal-activations');
  await assertFitsWidth('activations');
});

test('customer member: the FAQ renders its answers; offline activation is refused with the API\'s message', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, page } = j;
  const customer = await factories.customer(api, { name: 'Initech' });
  const product = await factories.product(api, { name: 'Orbit Mobile' });
  const policy = await factories.policy(api, product.id, 'timed', { durationDays: 365, maxMachines: 2 });
  const license = await factories.license(api, policy.id, { customerId: customer.id });
  const faq = await api.post('/v1/faq', { question: 'How do I move a seat?', answer: 'Deactivate the old machine on the **license page**, then activate the new one.' });
  assert.equal(faq.status, 201, faq.raw);

  await page.context().clearCookies();
  await page.evaluate(() => sessionStorage.clear());
  await j.signInCustomer('customer-member', customer.id);
  await page.getByRole('heading', { name: 'Initech: licenses' }).waitFor();
  await page.getByRole('link', { name: 'FAQ' }).click();
  await page.getByText('How do I move a seat?').click();
  await page.locator('.answer strong', { hasText: 'license page' }).waitFor();
  await screenshot(page, 'portal-faq');

  // Members lack machines:write: the page says an admin is needed and shows the API's refusal.
  await page.getByRole('link', { name: 'Offline activation' }).click();
  await page.getByText('Activating machines needs an administrator').waitFor();
  await page.getByLabel('Or paste the request').fill(createActivationRequest({ key: license.key, fingerprint: 'fp-member-1', hostname: 'm-01', platform: 'linux' }));
  await page.getByRole('button', { name: 'Activate and get the license file' }).click();
  const refusal = page.getByRole('alert');
  await refusal.waitFor();
  assert.match((await refusal.textContent()) ?? '', /\(FORBIDDEN\)/);
  // And no key reveal or deactivation offered on its license page.
  await page.getByRole('link', { name: 'Licenses' }).click();
  await page.getByRole('button', { name: 'All licenses I can see' }).click();
  await page.getByRole('row', { name: /Orbit Mobile/ }).getByRole('link').click();
  await page.getByRole('heading', { level: 1 }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Reveal key' }).count(), 0);
});
