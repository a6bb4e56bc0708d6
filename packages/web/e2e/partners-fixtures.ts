import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

/**
 * The staff side of selling through a partner, done in the console as a vendor would: a product group, a
 * partner with rights on it, a partner user, and a contract the partner holds. Journeys of the partner face
 * chain it (sign in as staff first, then run it, then sign in as the partner user with the returned link).
 */

export interface PartnerInConsole {
  /** The signed-in staff page (owner or admin: it needs products, partners, users and contracts write). */
  page: Page;
  /** The web app's base URL. */
  url: string;
  groupName: string;
  /** The products to put in the group, by name as the console lists them. */
  productNames: string[];
  partnerName: string;
  partnerEmail?: string;
  /** The rights ticked on the group in the rights matrix. */
  rights: string[];
  user: { email: string; role: 'partner-admin' | 'partner-member' };
  /** A contract for the partner on a policy, by its label in the "Covers" list ("Product — Policy"). */
  contract?: { policyLabel: string; quantity: number };
}

export interface PartnerSetUp {
  groupId: string;
  partnerId: string;
  /** The one-time set-password link of the partner user (shown in the console, so no mail is needed). */
  passwordLink: string;
  /** The contract's id, when one was asked for. */
  contractId: string | null;
}

/** The id at the end of the page's URL (`/console/partners/:id`). */
const idOf = (page: Page) => new URL(page.url()).pathname.split('/').pop() ?? '';

export async function setUpPartnerInConsole(setup: PartnerInConsole): Promise<PartnerSetUp> {
  const { page, url } = setup;

  // The product group, with its products ticked.
  await page.goto(`${url}/console/product-groups`);
  const groupForm = page.getByRole('form', { name: 'New product group' });
  await groupForm.getByLabel('Name', { exact: true }).fill(setup.groupName);
  for (const product of setup.productNames) await groupForm.getByRole('checkbox', { name: product, exact: true }).check();
  await groupForm.getByRole('button', { name: 'Create product group' }).click();
  await groupForm.getByRole('status').filter({ hasText: `Product group ${setup.groupName} created` }).waitFor();
  await page.getByRole('link', { name: setup.groupName, exact: true }).click();
  await page.getByRole('heading', { name: setup.groupName, level: 1 }).waitFor();
  const groupId = idOf(page);

  // The partner, then its page.
  await page.goto(`${url}/console/partners`);
  const partnerForm = page.getByRole('form', { name: 'New partner' });
  await partnerForm.getByLabel('Name', { exact: true }).fill(setup.partnerName);
  if (setup.partnerEmail) await partnerForm.getByLabel('E-mail').fill(setup.partnerEmail);
  await partnerForm.getByRole('button', { name: 'Create partner' }).click();
  await page.getByRole('link', { name: setup.partnerName, exact: true }).click();
  await page.getByRole('heading', { name: setup.partnerName, level: 1 }).waitFor();
  const partnerId = idOf(page);

  // Its rights on the group, in the matrix.
  const matrix = page.getByTestId('rights-matrix');
  for (const right of setup.rights) await matrix.getByRole('checkbox', { name: `${right} on ${setup.groupName}` }).check();
  await page.getByRole('button', { name: 'Save rights' }).click();
  await page.getByRole('status').filter({ hasText: `Rights of ${setup.partnerName} saved` }).waitFor();

  // A user of the partner, and the one-time link to choose a password.
  const invite = page.getByRole('form', { name: 'Invite a partner user' });
  await invite.getByLabel('E-mail').fill(setup.user.email);
  await invite.getByLabel('Role').selectOption(setup.user.role);
  await invite.getByLabel('Mail them a link').uncheck();
  await invite.getByRole('button', { name: 'Invite' }).click();
  await invite.getByRole('status').filter({ hasText: setup.user.email }).waitFor();
  await page.getByRole('button', { name: `Show link for ${setup.user.email}` }).click();
  const passwordLink = (await page.getByRole('region', { name: `One-time password link for ${setup.user.email}` }).getByTestId('secret-once').textContent()) ?? '';
  assert.match(passwordLink, /\/set-password\?token=/);
  await page.getByRole('button', { name: 'I have stored it' }).click();

  // A contract the partner holds, with its quota bar.
  let contractId: string | null = null;
  if (setup.contract) {
    const form = page.getByRole('form', { name: 'New contract' });
    await form.getByLabel('Covers').selectOption({ label: setup.contract.policyLabel });
    await form.getByLabel('Unit').selectOption('licenses');
    await form.getByLabel('Quantity').fill(String(setup.contract.quantity));
    await form.getByRole('button', { name: 'Create contract' }).click();
    await form.getByRole('status').filter({ hasText: 'created' }).waitFor();
    const row = page.getByTestId('contracts').locator('tbody tr').filter({ hasText: setup.contract.policyLabel });
    await row.getByText(`0 of ${setup.contract.quantity} licenses used`).waitFor();
    contractId = ((await row.getAttribute('data-testid')) ?? '').replace(/^contract-/, '');
  }
  return { groupId, partnerId, passwordLink, contractId };
}
