import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

/** What the partner journey works on: the names the setup gave (the lead chains it after a staff journey). */
export interface PartnerJourneyNames {
  /** The customer the partner admin creates. */
  customerName: string;
  customerEmail: string;
  /** The product the partner may trial and license, and its paid policy (the contract's). */
  productName: string;
  paidPolicyName: string;
}

/**
 * A signed-in partner admin, on /partner: sees the contract at 0 of 1, creates a customer, starts a trial for
 * it, converts the trial to the paid policy drawing from the contract, sees 1 of 1, then tries another license
 * from the contract and is told plainly that the contract has no licenses left.
 */
export async function partnerJourney(page: Page, names: PartnerJourneyNames): Promise<void> {
  const main = page.getByRole('main');
  const nav = page.getByRole('navigation', { name: 'Partner navigation' });
  await page.getByRole('heading', { name: 'Contracts' }).waitFor();
  await main.getByText('0 of 1 licenses used').waitFor();

  // A customer of its own.
  await nav.getByRole('link', { name: 'Customers' }).click();
  const newCustomer = page.getByRole('form', { name: 'New customer' });
  await newCustomer.getByLabel('Organization name').fill(names.customerName);
  await newCustomer.getByLabel('Billing e-mail').fill(names.customerEmail);
  await newCustomer.getByRole('button', { name: 'Create customer' }).click();
  await main.getByRole('link', { name: names.customerName }).waitFor();

  // A one-click trial for it.
  await nav.getByRole('link', { name: 'Trials' }).click();
  const newTrial = page.getByRole('form', { name: 'New trial' });
  await newTrial.getByLabel('Customer').selectOption({ label: names.customerName });
  await newTrial.getByLabel('Product').selectOption({ label: names.productName });
  await newTrial.getByRole('button', { name: /Start a trial of \d+ days/ }).first().click();
  await page.getByRole('status').filter({ hasText: 'trial of' }).waitFor();

  // Converted to the paid policy, drawn from the contract.
  const row = page.getByRole('row').filter({ hasText: names.customerName });
  await row.getByRole('button', { name: 'Convert…' }).click();
  const convert = page.getByRole('form', { name: 'Convert trial' });
  const paid = await convert.getByLabel('Paid policy').locator('option', { hasText: names.paidPolicyName }).getAttribute('value');
  await convert.getByLabel('Paid policy').selectOption(paid ?? '');
  await convert.getByLabel(/Contract/).selectOption({ index: 1 });
  await convert.getByRole('button', { name: 'Convert to paid' }).click();
  await page.getByRole('status').filter({ hasText: 'is now a paid license' }).waitFor();

  // The quota counts it.
  await nav.getByRole('link', { name: 'Home' }).click();
  await main.getByText('1 of 1 licenses used').waitFor();

  // Another license from the used-up contract: refused, in plain words.
  await nav.getByRole('link', { name: 'Licenses' }).click();
  await page.locator('summary', { hasText: 'New license' }).click();
  const form = page.getByRole('form', { name: 'New license' });
  await form.getByLabel('Customer').selectOption({ label: names.customerName });
  await form.getByLabel('Policy').selectOption({ label: `${names.productName} · ${names.paidPolicyName}` });
  await form.getByLabel(/Contract/).selectOption({ index: 1 });
  await form.getByRole('button', { name: 'Create license' }).click();
  const refusal = form.getByRole('alert');
  await refusal.waitFor();
  const text = (await refusal.textContent()) ?? '';
  assert.match(text, /This contract has no licenses left/);
  assert.doesNotMatch(text, /QUOTA_EXHAUSTED/);
}
