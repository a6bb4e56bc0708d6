import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories } from '../../server/src/testing/harness.js';
import { accessibilityViolations, describeViolations, journey, screenshot, skipUnlessRunnable } from './browser.js';
import { createRelease, publishRelease, uploadArtifact } from './fixtures.js';

/**
 * Looking after licenses in the console: search (a full key opens its license, else name or customer e-mail),
 * editing, mailing the key, machines with their lease state and detail, a perpetual license without
 * "Extend", names instead of ids in the history, and deleting a draft release and an artifact.
 */

const j = journey();
/** Each test signs in on a page of its own, this wide. */
const WIDE = { viewport: { width: 1366, height: 900 } };

test('search by key and by e-mail; create with "mail the key"; edit the license; notes over the limit show the API message', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app } = j;
  const product = await factories.product(api, { name: 'Lumen Editor' });
  const policy = await factories.policy(api, product.id, 'timed', { name: 'Annual', durationDays: 365, maxMachines: 2 });
  const acme = await factories.customer(api, { name: 'Acme Optics', email: 'licensing@acme-optics.example' });
  const other = await factories.customer(api, { name: 'Globex', email: 'it@globex.example' });
  const target = await factories.license(api, policy.id, { customerId: acme.id, name: 'Acme lab seats' });
  await factories.license(api, policy.id, { customerId: other.id, name: 'Globex desk' });
  const page = await j.newPage(WIDE);
  const { user: owner } = await j.signInStaff('owner', page);

  // A full key, typed in lower case with spaces: the lookup (key in the body) opens its license.
  await page.goto(`${url}/console/licenses`);
  const search = page.getByRole('search', { name: 'Search licenses' });
  const lookups: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/v1/licenses/lookup')) lookups.push(`${request.method()} ${request.url()}`);
  });
  await search.getByLabel(/Search/).fill(target.key.toLowerCase().replace(/-/g, ' '));
  await search.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('heading', { name: /Acme lab seats/ }).waitFor();
  assert.equal(lookups.length, 1);
  assert.ok(lookups[0]!.startsWith('POST ') && !lookups[0]!.includes('key='), `the key stays out of the URL: ${lookups[0]}`);

  // An unknown key says so; an e-mail filters the list by the customer.
  await page.goto(`${url}/console/licenses`);
  await search.getByLabel(/Search/).fill('F2A65-VPQAS-871CH-C03B0-FGKD1-1QX3C');
  await search.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('alert').getByText(/No license has this key|NOT_FOUND|VALIDATION_FAILED/).waitFor();
  await search.getByLabel(/Search/).fill('it@globex.example');
  await search.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/q=it%40globex\.example/);
  await page.getByRole('link', { name: 'Acme lab seats' }).waitFor({ state: 'detached' });
  await page.getByRole('link', { name: 'Globex desk' }).waitFor();

  // Create with "Mail the key to the customer": the key mail goes out and the page says where.
  await page.getByRole('button', { name: 'Clear “it@globex.example” ✕' }).click();
  await page.locator('summary', { hasText: 'New license' }).click();
  const create = page.getByRole('form', { name: 'New license' });
  await create.getByLabel('Policy').selectOption({ label: 'Lumen Editor — Annual' });
  const mailBox = create.getByLabel(/Mail the key to the/);
  assert.equal(await mailBox.isDisabled(), true, 'no customer, nothing to mail');
  await create.getByRole('combobox', { name: /^Customer/ }).selectOption({ label: 'Acme Optics' });
  assert.equal(await mailBox.isChecked(), true);
  await create.getByLabel(/Name/).fill('Acme mailed seat');
  await screenshot(page, 'licenses-search-create');
  // The policy choice shows its whole label ("Product — Policy"), not a cut-off one.
  const policySelect = create.getByLabel('Policy');
  const fit = await policySelect.evaluate((element) => {
    const select = element as HTMLSelectElement;
    const context = document.createElement('canvas').getContext('2d')!;
    context.font = getComputedStyle(select).font;
    const text = select.options[select.selectedIndex]!.text;
    return { text: context.measureText(text).width, room: select.clientWidth - 40 };
  });
  assert.ok(fit.text <= fit.room, `the policy label fits its select (${fit.text}px of text, ${fit.room}px of room)`);
  await create.getByRole('button', { name: 'Create license' }).click();
  await page.getByRole('heading', { name: /Acme mailed seat/ }).waitFor();
  await page.getByText('The key was mailed to licensing@acme-optics.example.').waitFor();
  const createdKey = (await page.getByTestId('license-key').textContent())!.trim();
  const created = (await api.get(`/v1/licenses?q=${encodeURIComponent('Acme mailed seat')}`)).body.data[0];
  const mailed = (await api.get(`/v1/events?targetId=${created.id}&action=license.key_mailed`)).body.data;
  assert.equal(mailed.length, 1);
  const mail = await app.services.mail.getMail(mailed[0].after.mailId);
  assert.deepEqual(mail.to, ['licensing@acme-optics.example']);
  assert.ok(mail.text.includes(createdKey), 'the mail holds the key');

  // Mail it again from the license page.
  await page.getByRole('button', { name: 'Mail the key to licensing@acme-optics.example' }).click();
  await page.getByText('The key was mailed to licensing@acme-optics.example.', { exact: true }).waitFor();
  assert.equal((await api.get(`/v1/events?targetId=${created.id}&action=license.key_mailed`)).body.data.length, 2);

  // Edit: name, seats, notes, metadata.
  await page.goto(`${url}/console/licenses/${target.id}`);
  await page.getByRole('button', { name: 'Edit license…' }).click();
  const edit = page.getByRole('form', { name: 'Edit license' });
  await edit.getByLabel('Name').fill('Acme lab seats (renewed)');
  await edit.getByLabel(/Seats/).fill('4');
  await edit.getByLabel(/Notes/).fill('Renewed by phone with Dana.');
  await edit.getByRole('button', { name: 'Add metadata' }).click();
  await edit.getByLabel('Metadata key 1').fill('crm');
  await edit.getByLabel('Metadata value 1').fill('ACME-42');
  await screenshot(page, 'license-edit');
  await edit.getByRole('button', { name: 'Save license' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved: name, notes, maxMachines, metadata.' }).waitFor();
  await page.getByRole('heading', { name: /Acme lab seats \(renewed\)/ }).waitFor();
  const saved = (await api.get(`/v1/licenses/${target.id}`)).body;
  assert.deepEqual([saved.name, saved.maxMachines, saved.notes, saved.metadata], ['Acme lab seats (renewed)', 4, 'Renewed by phone with Dana.', { crm: 'ACME-42' }]);

  // Notes over the limit: nothing is cut; the counter says so and the API's refusal is shown.
  await page.getByRole('button', { name: 'Edit license…' }).click();
  const long = 'n'.repeat(10_001);
  await edit.getByLabel(/Notes/).fill(long);
  assert.equal((await edit.getByLabel(/Notes/).inputValue()).length, 10_001, 'the text is not cut');
  await edit.getByText('1 characters over the limit of 10,000').waitFor();
  await edit.getByRole('button', { name: 'Save license' }).click();
  await page.getByRole('alert').filter({ hasText: /10[,.]?000/ }).waitFor();
  assert.equal(await page.getByText(/^Saved/).count(), 0, 'no "Saved."');
  assert.equal((await api.get(`/v1/licenses/${target.id}`)).body.notes, 'Renewed by phone with Dana.', 'unchanged');

  // The history names who acted, not a raw user id.
  const history = page.getByTestId('license-history');
  await history.getByText(`by ${owner.email}`).first().waitFor();
  assert.equal(await history.getByText(/usr_/).count(), 0, 'no raw user ids in the history');
  await page.close();
});

test('machines: lease state, lapsed marked and not offered for an offline file, detail row; a perpetual license has no "Extend"', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app } = j;
  const product = await factories.product(api, { name: 'Relay Server' });
  const floating = await factories.policy(api, product.id, 'timed', { name: 'Floating', durationDays: 365, maxMachines: 3, floating: true, heartbeatSeconds: 300 });
  const perpetualPolicy = await factories.policy(api, product.id, 'perpetual', { name: 'Forever', maxMachines: 1 });
  const customer = await factories.customer(api, { name: 'Initech', email: 'ops@initech.example' });
  const license = await factories.license(api, floating.id, { customerId: customer.id, name: 'Initech render pool' });
  const anon = client(app.app, undefined);
  const stale = await anon.post('/v1/machines/activate', { key: license.key, fingerprint: 'fp-stale-node', name: 'Old render node', hostname: 'render-old', platform: 'linux' });
  assert.equal(stale.status, 201, stale.raw);
  app.clock.advance(20 * 60_000);
  const live = await anon.post('/v1/machines/activate', { key: license.key, fingerprint: 'fp-live-node', name: 'Render node 7', hostname: 'render-07', platform: 'linux' });
  assert.equal(live.status, 201, live.raw);
  assert.equal(live.body.license.activeMachines, 1, 'the server counts one seat');

  const page = await j.newPage(WIDE);
  await j.signInStaff('owner', page);
  await page.goto(`${url}/console/licenses/${license.id}`);
  await page.getByRole('heading', { name: /Initech render pool/ }).waitFor();
  assert.equal((await page.getByTestId('license-seats').textContent())!.trim(), '1 of 3');
  const rows = page.getByTestId('machine-row');
  await rows.filter({ hasText: 'Render node 7' }).getByTestId('machine-lease').getByText(/^Lease until/).waitFor();
  const lapsedRow = rows.filter({ hasText: 'Old render node' });
  await lapsedRow.getByTestId('machine-lease').getByText(/^Lapsed .*seat free/).waitFor();
  assert.match((await lapsedRow.getAttribute('class')) ?? '', /lapsed/);
  await page.getByTestId('lapsed-hint').getByText(/1 of 2 listed machines hold a seat/).waitFor();

  // The offline-file picker offers only the machine that holds a seat.
  await page.locator('summary', { hasText: 'Offline license file' }).click();
  const options = await page.getByRole('form', { name: 'Offline license file' }).getByLabel('Machine').locator('option:not([disabled])').allTextContents();
  assert.deepEqual(options, ['Render node 7']);

  // Machine detail: IP, host name, platform, fingerprint, lease.
  await page.getByRole('button', { name: 'Details of Render node 7' }).click();
  const detail = page.getByRole('definition').filter({ hasText: /^Floating: holds a seat until/ });
  await detail.waitFor();
  assert.equal(await page.getByRole('button', { name: 'Details of Render node 7' }).getAttribute('aria-expanded'), 'true');
  assert.ok(((await page.getByTestId('machine-ip').textContent()) ?? '').trim().length > 1, 'the IP address is shown');
  await page.getByText('render-07').first().waitFor();
  await page.getByText('fp-live-node').first().waitFor();
  await screenshot(page, 'license-machines-lease');
  const violations = await accessibilityViolations(page);
  assert.deepEqual(violations, [], describeViolations('license page with a machine detail open', violations));

  // A perpetual license: no "Extend by days" (the API would refuse with LICENSE_PERPETUAL).
  const perpetual = await factories.license(api, perpetualPolicy.id, { customerId: customer.id, name: 'Initech forever' });
  assert.equal(perpetual.expiresAt, null);
  await page.goto(`${url}/console/licenses/${perpetual.id}`);
  await page.getByRole('heading', { name: /Initech forever/ }).waitFor();
  await page.getByRole('group', { name: 'License actions' }).waitFor();
  assert.equal(await page.getByRole('form', { name: 'Extend license' }).count(), 0);
  assert.equal((await api.post(`/v1/licenses/${perpetual.id}/actions/extend`, { days: 30 })).body.error.code, 'LICENSE_PERPETUAL', 'the server still refuses');
  await page.close();
});

test('releases: delete an artifact and a draft with confirmation; a published release cannot be deleted; events read by name on one line', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url } = j;
  const product = await factories.product(api, { name: 'Prism Viewer' });
  const draft = await createRelease(api, product.id, '3.0.0-beta.1');
  const published = await createRelease(api, product.id, '2.9.0');
  await publishRelease(api, published.id);
  const upload = (releaseId: string, fileName: string) => uploadArtifact(api, releaseId, fileName, Buffer.from(`bytes of ${fileName}`));
  await upload(draft.id, 'prism-beta-a.zip');
  await upload(draft.id, 'prism-beta-b.zip');
  await upload(published.id, 'prism-2.9.zip');

  const page = await j.newPage(WIDE);
  const { user: owner } = await j.signInStaff('owner', page);

  // A published release offers no delete (its files may have been downloaded); its artifacts can be deleted.
  await page.goto(`${url}/console/releases/${published.id}`);
  await page.getByRole('heading', { name: /2\.9\.0/ }).first().waitFor();
  assert.equal(await page.getByRole('button', { name: /Delete draft/ }).count(), 0);

  await page.goto(`${url}/console/releases/${draft.id}`);
  await page.getByRole('heading', { name: /3\.0\.0-beta\.1/ }).first().waitFor();
  await page.getByRole('button', { name: 'Delete prism-beta-a.zip' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete prism-beta-a.zip?' });
  await dialog.waitFor();
  await screenshot(page, 'release-delete-artifact');
  await dialog.getByRole('button', { name: 'Delete prism-beta-a.zip' }).click();
  await page.getByRole('status').filter({ hasText: 'prism-beta-a.zip deleted.' }).waitFor();
  await page.getByRole('button', { name: 'Download prism-beta-a.zip' }).waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Download prism-beta-b.zip' }).waitFor();

  await page.getByRole('button', { name: 'Delete draft 3.0.0-beta.1' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete draft 3.0.0-beta.1?' });
  await confirm.getByText('The draft and its 1 file are deleted.').waitFor();
  await confirm.getByRole('button', { name: 'Delete draft 3.0.0-beta.1' }).click();
  await page.getByRole('heading', { name: 'Releases', level: 1 }).waitFor();
  await page.getByText('Draft 3.0.0-beta.1 deleted.').waitFor();
  assert.equal((await api.get(`/v1/releases/${draft.id}`)).status, 404);
  assert.equal((await api.get(`/v1/releases/${published.id}`)).status, 200);

  // The audit log: who by name, the deleted release by its version, the time on one line at 1366 px.
  await page.goto(`${url}/console/events?action=release.*`);
  const table = page.getByTestId('events');
  const deletedRow = table.locator('tr', { hasText: 'release.deleted' });
  await deletedRow.waitFor();
  await deletedRow.getByText(owner.email).waitFor();
  await deletedRow.getByText('3.0.0-beta.1').waitFor();
  assert.equal(await table.getByText(/usr_/).count(), 0, 'no raw user ids');
  const time = deletedRow.locator('time');
  const box = await time.boundingBox();
  const lineHeight = await time.evaluate((element) => parseFloat(getComputedStyle(element).lineHeight) || 20);
  assert.ok(box && box.height < lineHeight * 1.5, `the time is one line (${box?.height}px)`);
  await screenshot(page, 'events-by-name');
  await page.close();
});
