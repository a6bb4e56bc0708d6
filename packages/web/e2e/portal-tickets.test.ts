import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories } from '../../server/src/testing/harness.js';
import { journey, screenshot, signIn, skipUnlessRunnable } from './browser.js';

/**
 * Groups, tickets and contracts in the portal: a customer admin draws a license from its organization's
 * contract, makes a group, puts a member in it and allocates the license to that member; the member then
 * sees only that ticket under "My tickets" and can activate only the tickets it may see.
 */

const j = journey();

test('portal: a customer admin draws a license from the contract and allocates it to a member, who sees only that ticket as its own', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app, page } = j;
  const product = await factories.product(api, { name: 'Orbit Studio' });
  const policy = await factories.policy(api, product.id, 'timed', { durationDays: 365, maxMachines: 3 });
  const customer = await factories.customer(api, { name: 'Umbrella Corp' });
  const admin = await factories.signedInUser(api, app.app, 'customer-admin', customer.id);
  const member = await factories.signedInUser(api, app.app, 'customer-member', customer.id);
  const contract = await api.post('/v1/contracts', { customerId: customer.id, policyId: policy.id, unit: 'licenses', quantity: 2 });
  assert.equal(contract.status, 201, contract.raw);

  // The organization's other tickets: one for everybody, one allocated to the admin, one to a group only its admins see.
  const everybody = await factories.license(api, policy.id, { customerId: customer.id, name: 'Shared kiosk' });
  const adminsOwn = await factories.license(api, policy.id, { customerId: customer.id, name: 'Admin laptop' });
  assert.equal((await api.post(`/v1/licenses/${adminsOwn.id}/allocation`, { userId: admin.user.id })).status, 200);
  const board = await api.post(`/v1/customers/${customer.id}/groups`, { name: 'Board', visibility: 'admins' });
  assert.equal(board.status, 201, board.raw);
  assert.equal((await api.post(`/v1/customer-groups/${board.body.id}/members`, { userId: member.user.id })).status, 200);
  const boardOnly = await factories.license(api, policy.id, { customerId: customer.id, name: 'Board secret' });
  assert.equal((await api.post(`/v1/licenses/${boardOnly.id}/allocation`, { groupId: board.body.id })).status, 200);

  // The admin: Contracts → create a license from the contract; the quota bar shows 1 of 2.
  await signIn(page, url + '/', admin.email, admin.password);
  await page.getByRole('heading', { name: 'Umbrella Corp: licenses', level: 1 }).waitFor();
  const nav = page.getByRole('navigation', { name: 'Portal navigation' });
  await nav.getByRole('link', { name: 'Contracts' }).click();
  await page.getByRole('heading', { name: 'Contracts', level: 1 }).waitFor();
  const card = page.getByTestId('contract');
  await card.getByText('0 of 2 licenses used').waitFor();
  await card.getByText(`Covers: Orbit Studio — ${policy.name}`).waitFor();
  await card.getByLabel('License name (optional)').fill('Member seat');
  await card.getByRole('button', { name: 'Create license' }).click();
  await card.getByRole('status').getByText('Member seat').waitFor();
  await card.getByText('1 of 2 licenses used').waitFor();
  await screenshot(page, 'portal-contracts');

  const drawn = (await api.get(`/v1/licenses?customerId=${customer.id}&limit=100`)).body.data.filter((l: { contractId: string | null }) => l.contractId === contract.body.id);
  assert.equal(drawn.length, 1, 'one license drawn from the contract');
  const seat = drawn[0] as { id: string; name: string; policyId: string; customerId: string };
  assert.equal(seat.name, 'Member seat');
  assert.equal(seat.policyId, policy.id);
  assert.equal(seat.customerId, customer.id);
  assert.equal((await api.get(`/v1/contracts/${contract.body.id}`)).body.used, 1, 'the contract counts it');

  // Groups: create Design and add the member.
  await nav.getByRole('link', { name: 'Groups' }).click();
  await page.getByRole('heading', { name: 'Groups', level: 1 }).waitFor();
  const newGroup = page.getByRole('form', { name: 'New group' });
  await newGroup.getByLabel('Name').fill('Design');
  await newGroup.getByRole('button', { name: 'Create group' }).click();
  const design = page.getByRole('region', { name: 'Design', exact: true });
  await design.getByText('No members yet.').waitFor();
  await design.getByLabel('Add a user of your organization').selectOption({ label: member.email });
  await design.getByRole('button', { name: 'Add member' }).click();
  await design.getByRole('cell', { name: member.email, exact: true }).waitFor();
  await screenshot(page, 'portal-groups');
  const groups = (await api.get(`/v1/customers/${customer.id}/groups`)).body.data as { id: string; name: string; members: { userId: string; admin: boolean }[] }[];
  const designGroup = groups.find((g) => g.name === 'Design');
  assert.ok(designGroup, 'the group was created');
  assert.deepEqual(designGroup.members.map((m) => [m.userId, m.admin]), [[member.user.id, false]]);

  // The license: allocate it to the member, through the group.
  await nav.getByRole('link', { name: 'Licenses' }).click();
  await page.getByRole('row', { name: /Admin laptop/ }).getByText('you', { exact: true }).waitFor();
  await page.getByRole('row', { name: /Member seat/ }).getByRole('link').click();
  await page.getByRole('heading', { name: /Member seat/ }).waitFor();
  await page.getByTestId('allocation').getByText('The whole organization').waitFor();
  await page.getByLabel('Allocate to').selectOption({ label: `${member.email} (in group Design)` });
  await page.getByRole('button', { name: 'Allocate', exact: true }).click();
  await page.getByTestId('allocation').getByText(`${member.email}, through group Design`).waitFor();
  await screenshot(page, 'portal-allocation');
  const allocated = (await api.get(`/v1/licenses/${seat.id}`)).body;
  assert.deepEqual(allocated.allocation, { kind: 'user', groupId: designGroup.id, userId: member.user.id });
  const events = (await api.get(`/v1/licenses/${seat.id}/events?limit=50`)).body.data as { action: string; after: { allocation?: unknown } }[];
  const allocation = events.find((e) => e.action === 'license.allocated');
  assert.ok(allocation, 'the allocation is recorded');
  assert.deepEqual(allocation.after.allocation, { kind: 'user', groupId: designGroup.id, userId: member.user.id });

  // The member: My tickets by default, with only its ticket; everything it may see on request.
  const memberPage = await j.newPage();
  await signIn(memberPage, url + '/', member.email, member.password);
  await memberPage.getByRole('heading', { name: 'Umbrella Corp: licenses', level: 1 }).waitFor();
  assert.equal(await memberPage.getByRole('button', { name: 'My tickets' }).getAttribute('aria-pressed'), 'true');
  await memberPage.getByRole('row', { name: /Member seat/ }).getByText('you, through group Design').waitFor();
  assert.equal(await memberPage.getByRole('row').count(), 2, 'a header row and its one ticket');
  await screenshot(memberPage, 'portal-my-tickets');
  await memberPage.getByRole('button', { name: 'All licenses I can see' }).click();
  await memberPage.getByRole('row', { name: /Shared kiosk/ }).getByText('The whole organization').waitFor();
  await memberPage.getByRole('row', { name: /Member seat/ }).waitFor();
  assert.equal(await memberPage.getByRole('row').count(), 3, 'its ticket and the organization-wide one');
  const shown = (await memberPage.locator('main').textContent()) ?? '';
  assert.doesNotMatch(shown, /Admin laptop|Board secret/);
  // Members manage no groups and see no contracts.
  assert.equal(await memberPage.getByRole('link', { name: 'Contracts' }).count(), 0);
  await memberPage.getByRole('link', { name: 'Groups' }).click();
  await memberPage.getByRole('region', { name: 'Design', exact: true }).waitFor();
  assert.equal(await memberPage.getByRole('button', { name: 'Create group' }).count(), 0);
  assert.equal(await memberPage.getByRole('button', { name: /Remove|Add member/ }).count(), 0);
  await memberPage.context().close();

  // Activation by sign-in with the member's session: its tickets are offered and accepted, the others are not found.
  const asMember = client(app.app, member.token);
  const mine = (await asMember.get('/v1/licenses?allocatedTo=me')).body.data.map((l: { id: string }) => l.id);
  assert.deepEqual(mine, [seat.id]);
  const activate = (licenseId: string) => asMember.post(`/v1/licenses/${licenseId}/machines`, { fingerprint: `fp-${licenseId}`, name: 'Workstation' });
  const accepted = await activate(seat.id);
  assert.equal(accepted.status, 201, accepted.raw);
  for (const other of [adminsOwn, boardOnly]) assert.equal((await activate(other.id)).status, 404, other.name);
  assert.equal((await api.get(`/v1/machines?licenseId=${seat.id}`)).body.data.length, 1);

  // Made an admin of Board, the member sees the group's ticket and allocates it within the group only.
  assert.equal((await api.post(`/v1/customer-groups/${board.body.id}/members`, { userId: member.user.id, admin: true })).status, 200);
  const groupAdminPage = await j.newPage();
  await signIn(groupAdminPage, url + '/', member.email, member.password);
  await groupAdminPage.getByRole('heading', { name: 'Umbrella Corp: licenses', level: 1 }).waitFor();
  await groupAdminPage.goto(`${url}/portal/licenses/${boardOnly.id}`);
  await groupAdminPage.getByTestId('allocation').getByText('Group Board').waitFor();
  const options = await groupAdminPage.getByLabel('Allocate to').locator('option').allTextContents();
  assert.deepEqual(options, ['Group Board', `${member.email} (in group Board)`], 'within the group only');
  await groupAdminPage.getByLabel('Allocate to').selectOption({ label: `${member.email} (in group Board)` });
  await groupAdminPage.getByRole('button', { name: 'Allocate', exact: true }).click();
  await groupAdminPage.getByTestId('allocation').getByText('you, through group Board').waitFor();
  assert.deepEqual((await api.get(`/v1/licenses/${boardOnly.id}`)).body.allocation, { kind: 'user', groupId: board.body.id, userId: member.user.id });
  // The organization's ticket is not its to allocate: no control.
  await groupAdminPage.goto(`${url}/portal/licenses/${everybody.id}`);
  await groupAdminPage.getByTestId('allocation').getByText('The whole organization').waitFor();
  assert.equal(await groupAdminPage.getByLabel('Allocate to').count(), 0);
  await groupAdminPage.context().close();

  // Back to the admin: the second license fills the contract, a third is refused with a clear message.
  await nav.getByRole('link', { name: 'Contracts' }).click();
  await card.getByLabel('License name (optional)').fill('Second seat');
  await card.getByRole('button', { name: 'Create license' }).click();
  await card.getByText('2 of 2 licenses used').waitFor();
  await card.getByRole('button', { name: 'Create license' }).click();
  await card.getByRole('alert').getByText(/This contract is used up/).waitFor();
  assert.equal((await api.get(`/v1/contracts/${contract.body.id}`)).body.used, 2, 'nothing more was drawn');
});

test('portal: a customer admin manages a group (admin flag, visibility, rename, remove, delete); its tickets go back to the organization', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, url, app, page } = j;
  const product = await factories.product(api, { name: 'Orbit Cloud' });
  const policy = await factories.policy(api, product.id, 'timed', { durationDays: 365, maxMachines: 2 });
  const customer = await factories.customer(api, { name: 'Initrode' });
  const admin = await factories.signedInUser(api, app.app, 'customer-admin', customer.id);
  const member = await factories.signedInUser(api, app.app, 'customer-member', customer.id);
  const group = await api.post(`/v1/customers/${customer.id}/groups`, { name: 'Lab' });
  assert.equal((await api.post(`/v1/customer-groups/${group.body.id}/members`, { userId: member.user.id })).status, 200);
  const ticket = await factories.license(api, policy.id, { customerId: customer.id, name: 'Lab bench' });
  assert.equal((await api.post(`/v1/licenses/${ticket.id}/allocation`, { groupId: group.body.id })).status, 200);
  const read = async () => (await api.get(`/v1/customer-groups/${group.body.id}`)).body as { name: string; visibility: string; members: { userId: string; admin: boolean }[] };

  await page.evaluate(() => sessionStorage.clear());
  await signIn(page, url + '/', admin.email, admin.password);
  await page.getByRole('heading', { name: 'Initrode: licenses', level: 1 }).waitFor();
  await page.getByRole('row', { name: /Lab bench/ }).getByText('Group Lab').waitFor();
  await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'Groups' }).click();
  const lab = page.getByRole('region', { name: 'Lab', exact: true });
  await lab.getByRole('button', { name: 'Make group admin' }).click();
  await lab.getByRole('cell', { name: 'Group admin', exact: true }).waitFor();
  assert.deepEqual((await read()).members.map((m) => [m.userId, m.admin]), [[member.user.id, true]]);

  await lab.getByText('Rename, change visibility or delete').click();
  await lab.getByLabel('Name').fill('Research lab');
  await lab.getByLabel('Who sees tickets allocated to the group').selectOption('admins');
  await lab.getByRole('button', { name: 'Save group' }).click();
  const renamed = page.getByRole('region', { name: 'Research lab', exact: true });
  await renamed.getByText('only the group’s admins see').waitFor();
  assert.deepEqual([(await read()).name, (await read()).visibility], ['Research lab', 'admins']);

  page.once('dialog', (dialog) => void dialog.accept());
  await renamed.getByRole('button', { name: /^Remove/ }).click();
  await renamed.getByText('No members yet.').waitFor();
  assert.deepEqual((await read()).members, []);

  // The settings stayed open.
  await renamed.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete group Research lab' }).click();
  await page.getByText('Your organization has no groups yet.').waitFor();
  assert.equal((await api.get(`/v1/customer-groups/${group.body.id}`)).status, 404);
  assert.deepEqual((await api.get(`/v1/licenses/${ticket.id}`)).body.allocation, { kind: 'organization', groupId: null, userId: null }, 'its ticket went back to the organization');
});

test('portal: a contract on a product group offers each policy it covers; the license drawn has the one chosen', async (t) => {
  if (skipUnlessRunnable(t)) return;
  const { api, app } = j;
  const page = await j.newPage();
  const cad = await factories.product(api, { name: 'Quill CAD' });
  const render = await factories.product(api, { name: 'Quill Render' });
  await factories.policy(api, cad.id, 'timed', { name: 'CAD yearly', durationDays: 365 });
  const renderPolicy = await factories.policy(api, render.id, 'perpetual', { name: 'Render forever' });
  const suite = await api.post('/v1/product-groups', { name: `Quill suite ${Date.now()}`, productIds: [cad.id, render.id] });
  assert.equal(suite.status, 201, suite.raw);
  const customer = await factories.customer(api, { name: 'Initech' });
  const admin = await factories.signedInUser(api, app.app, 'customer-admin', customer.id);
  const contract = await api.post('/v1/contracts', { customerId: customer.id, productGroupId: suite.body.id, unit: 'licenses', quantity: 5 });
  assert.equal(contract.status, 201, contract.raw);

  await signIn(page, j.url + '/', admin.email, admin.password);
  await page.getByRole('navigation', { name: 'Portal navigation' }).getByRole('link', { name: 'Contracts' }).click();
  const card = page.getByTestId('contract');
  await card.getByText('Covers: Quill CAD — CAD yearly, Quill Render — Render forever').waitFor();
  await card.getByLabel('Policy').selectOption({ label: 'Quill Render — Render forever' });
  await card.getByLabel('License name (optional)').fill('Render node');
  await card.getByRole('button', { name: 'Create license' }).click();
  await card.getByRole('status').getByText('Render node').waitFor();
  await card.getByText('1 of 5 licenses used').waitFor();

  const drawn = (await api.get(`/v1/licenses?customerId=${customer.id}&limit=10`)).body.data;
  assert.deepEqual(
    drawn.map((l: { name: string; policyId: string; contractId: string }) => [l.name, l.policyId, l.contractId]),
    [['Render node', renderPolicy.id, contract.body.id]],
  );
  await page.context().close();
});
