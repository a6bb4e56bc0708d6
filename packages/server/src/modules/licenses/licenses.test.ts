import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';
import { verifySignature } from '../../testing/signatures.js';
import { generateLicenseKey } from './license-key.js';

forEachDialect('licenses API', (dialect) => {
  const ctx = useTestApp(dialect);

  test('issue, validate with a verified signature, suspend, reinstate, revoke, history', async () => {
    const { product, policy, customer, license } = await factories.world(ctx.api, { durationDays: 30, features: ['export'] });
    assert.equal(license.status, 'active');
    assert.equal(license.product, product.code);
    assert.equal(license.customerId, customer.id);
    assert.equal(license.maxMachines, null);
    assert.deepEqual(license.features, ['export']);
    assert.match(license.key, /^([0-9A-HJKMNP-TV-Z]{5}-){5}[0-9A-HJKMNP-TV-Z]{5}$/);
    assert.equal(new Date(license.expiresAt).getTime() - new Date(license.startsAt).getTime(), 30 * 86_400_000);

    const pub = await client(ctx.t.app, undefined).get('/v1/public-key');
    assert.equal(pub.status, 200);
    assert.ok(verifySignature(pub.body.publicKey, pub, 'GET', '/v1/public-key'));

    const anon = client(ctx.t.app, undefined);
    const ok = await anon.post('/v1/licenses/validate', { key: license.key.toLowerCase(), nonce: 'n-1', product: product.code });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.valid, true);
    assert.equal(ok.body.code, 'VALID');
    assert.equal(ok.body.nonce, 'n-1');
    assert.equal(ok.body.license.id, license.id);
    assert.equal(ok.body.license.billing, undefined, 'billing details never reach the client');
    assert.ok(verifySignature(pub.body.publicKey, ok, 'POST', '/v1/licenses/validate', 'n-1'));
    // A tampered body no longer verifies.
    assert.equal(verifySignature(pub.body.publicKey, { ...ok, raw: ok.raw.replace('"valid":true', '"valid":false') }, 'POST', '/v1/licenses/validate', 'n-1'), false);

    assert.equal((await ctx.api.post(`/v1/licenses/${license.id}/actions/suspend`)).body.status, 'suspended');
    assert.equal((await anon.post('/v1/licenses/validate', { key: license.key })).body.code, 'SUSPENDED');
    assert.equal((await ctx.api.post(`/v1/licenses/${license.id}/actions/suspend`)).status, 409);
    assert.equal((await ctx.api.post(`/v1/licenses/${license.id}/actions/reinstate`)).body.status, 'active');
    assert.equal((await anon.post('/v1/licenses/validate', { key: license.key })).body.code, 'VALID');
    assert.equal((await ctx.api.post(`/v1/licenses/${license.id}/actions/revoke`)).body.status, 'revoked');
    const revoked = await anon.post('/v1/licenses/validate', { key: license.key });
    assert.equal(revoked.body.valid, false);
    assert.equal(revoked.body.code, 'REVOKED');
    assert.equal((await ctx.api.post(`/v1/licenses/${license.id}/actions/reinstate`)).body.error.code, 'INVALID_TRANSITION');

    const history = await ctx.api.get(`/v1/licenses/${license.id}/events`);
    assert.equal(history.status, 200);
    assert.deepEqual(
      history.body.data.map((e: any) => e.action),
      ['license.revoked', 'license.reinstated', 'license.suspended', 'license.created'],
    );
    const suspended = history.body.data.find((e: any) => e.action === 'license.suspended');
    assert.equal(suspended.before.status, 'active');
    assert.equal(suspended.after.status, 'suspended');
    assert.match(suspended.requestId, /^req_/);
    void policy;
  });

  test('unknown and malformed keys', async () => {
    const anon = client(ctx.t.app, undefined);
    // A well-formed key nobody holds: data, not an error.
    const unknown = await anon.post('/v1/licenses/validate', { key: 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZ' + checkFor('ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ') });
    assert.equal(unknown.status, 200);
    assert.deepEqual([unknown.body.valid, unknown.body.code], [false, 'NOT_FOUND']);
    const typo = await anon.post('/v1/licenses/validate', { key: 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZU' });
    assert.equal(typo.status, 400);
    assert.equal(typo.body.error.code, 'VALIDATION_FAILED');
    assert.ok(typo.body.error.details.fields.key);
  });

  test('time: pending, renew, extend, expiry and grace period', async () => {
    const product = await factories.product(ctx.api);
    const policy = await factories.policy(ctx.api, product.id, 'timed', { durationDays: 10, graceDays: 3 });
    const startsAt = new Date(ctx.t.clock.now().getTime() + 86_400_000).toISOString();
    const license = await factories.license(ctx.api, policy.id, { startsAt });
    const anon = client(ctx.t.app, undefined);
    const code = async () => (await anon.post('/v1/licenses/validate', { key: license.key })).body.code;
    assert.equal(license.status, 'pending');
    assert.equal(await code(), 'NOT_STARTED');
    ctx.t.clock.advanceDays(2);
    assert.equal(await code(), 'VALID');
    ctx.t.clock.advanceDays(9.5); // 0.5 days past expiry: inside the grace period
    const grace = await anon.post('/v1/licenses/validate', { key: license.key });
    assert.deepEqual([grace.body.valid, grace.body.code], [true, 'GRACE_PERIOD']);
    assert.equal((await ctx.api.get(`/v1/licenses/${license.id}`)).body.status, 'grace');
    assert.equal((await ctx.api.get(`/v1/licenses?status=grace&productId=${product.id}`)).body.data.length, 1);
    ctx.t.clock.advanceDays(3);
    assert.equal(await code(), 'EXPIRED');
    assert.equal((await ctx.api.get(`/v1/licenses?status=expired&productId=${product.id}`)).body.data.length, 1);
    // Renew after the expiry: a full term from now.
    const renewed = await ctx.api.post(`/v1/licenses/${license.id}/actions/renew`);
    assert.equal(renewed.status, 200);
    assert.equal(renewed.body.status, 'active');
    assert.equal(Date.parse(renewed.body.expiresAt), ctx.t.clock.now().getTime() + 10 * 86_400_000);
    const extended = await ctx.api.post(`/v1/licenses/${license.id}/actions/extend`, { days: 5 });
    assert.equal(Date.parse(extended.body.expiresAt), ctx.t.clock.now().getTime() + 15 * 86_400_000);
    assert.equal(await code(), 'VALID');
    assert.equal((await ctx.api.get(`/v1/licenses?status=active&productId=${product.id}`)).body.data.length, 1);
  });

  test('perpetual licenses cannot be renewed or extended', async () => {
    const product = await factories.product(ctx.api);
    const policy = await factories.policy(ctx.api, product.id, 'perpetual');
    const license = await factories.license(ctx.api, policy.id);
    assert.equal(license.expiresAt, null);
    assert.equal((await ctx.api.post(`/v1/licenses/${license.id}/actions/renew`)).body.error.code, 'NOT_RENEWABLE');
    const extend = await ctx.api.post(`/v1/licenses/${license.id}/actions/extend`, { days: 5 });
    assert.equal(extend.status, 422);
    assert.equal(extend.body.error.code, 'LICENSE_PERPETUAL');
  });

  test('product, domain and feature checks', async () => {
    const { product, license } = await factories.world(ctx.api, { features: ['pdf', 'api'], enforceDomains: true }, { domains: ['shop.example.com', '*.example.org'] });
    const anon = client(ctx.t.app, undefined);
    const v = async (extra: object) => (await anon.post('/v1/licenses/validate', { key: license.key, ...extra })).body.code;
    assert.equal(await v({ product: 'other-product', domain: 'shop.example.com' }), 'PRODUCT_MISMATCH');
    assert.equal(await v({ product: product.id, domain: 'shop.example.com' }), 'VALID');
    assert.equal(await v({ domain: 'https://Shop.Example.com:8443/cart' }), 'VALID');
    assert.equal(await v({ domain: 'a.b.example.org' }), 'VALID');
    assert.equal(await v({ domain: 'example.org' }), 'DOMAIN_NOT_ALLOWED');
    assert.equal(await v({ domain: 'evil-example.org' }), 'DOMAIN_NOT_ALLOWED');
    assert.equal(await v({}), 'DOMAIN_NOT_ALLOWED', 'an enforcing policy needs the domain');
    assert.equal(await v({ domain: 'shop.example.com', features: ['pdf'] }), 'VALID');
    assert.equal(await v({ domain: 'shop.example.com', features: ['pdf', 'cloud'] }), 'FEATURES_MISSING');
  });

  test('country rules use the trusted country header', async () => {
    const { license } = await factories.world(ctx.api, { countries: ['de', 'AT'] });
    assert.deepEqual(license.countries, ['DE', 'AT']);
    const anon = client(ctx.t.app, undefined);
    const from = async (country?: string) =>
      (await anon.call('POST', '/v1/licenses/validate', { key: license.key }, country ? { 'x-test-country': country } : {})).body.code;
    assert.equal(await from('DE'), 'VALID');
    assert.equal(await from('at'), 'VALID');
    assert.equal(await from('FR'), 'COUNTRY_NOT_ALLOWED');
    assert.equal(await from(), 'COUNTRY_NOT_ALLOWED');
    assert.equal(await from('not-a-country'), 'COUNTRY_NOT_ALLOWED');
    const opened = await ctx.api.patch(`/v1/licenses/${license.id}`, { countries: [] });
    assert.deepEqual(opened.body.countries, []);
    assert.equal(await from('FR'), 'VALID');
  });

  test('validations are logged, and the log is flushed on close', async () => {
    const { license } = await factories.world(ctx.api);
    const anon = client(ctx.t.app, undefined);
    await anon.call('POST', '/v1/licenses/validate', { key: license.key, fingerprint: 'fp-1' }, { 'user-agent': 'test-agent/1' });
    await ctx.t.services.validationLog.flush();
    const rows = await ctx.t.deps.database.db.selectFrom('validations').selectAll().where('license_id', '=', license.id).execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.code, 'NO_MACHINE', 'a fingerprint was named but nothing is activated');
    assert.equal(rows[0]!.fingerprint, 'fp-1');
    assert.equal(rows[0]!.user_agent, 'test-agent/1');
    assert.ok(rows[0]!.ip);
  });

  test('keys are stored only as digest and ciphertext; reveal is audited', async () => {
    const { license } = await factories.world(ctx.api);
    const row = await ctx.t.deps.database.db.selectFrom('licenses').selectAll().where('id', '=', license.id).executeTakeFirstOrThrow();
    const stored = JSON.stringify(row);
    assert.ok(!stored.includes(license.key) && !stored.includes(license.key.replace(/-/g, '')), 'the key never appears in the row');
    const revealed = await ctx.api.get(`/v1/licenses/${license.id}/key`);
    assert.equal(revealed.body.key, license.key);
    const got = await ctx.api.get(`/v1/licenses/${license.id}`);
    assert.equal(got.body.key, undefined);
    assert.equal(got.body.keyHint, license.key.slice(-5));
    const events = await ctx.api.get(`/v1/events?targetId=${license.id}&action=license.key_revealed`);
    assert.equal(events.body.data.length, 1);
    const found = await ctx.api.post('/v1/licenses/lookup', { key: license.key.toLowerCase() });
    assert.equal(found.status, 200);
    assert.equal(found.body.id, license.id);
  });

  test('lookup takes the key in the body only, and another organization\'s key answers like an unknown one', async () => {
    const { license, customer } = await factories.world(ctx.api);
    const other = await factories.world(ctx.api);
    // The old GET with the key in the URL (logged by proxies and the access log) is not served.
    const viaUrl = await ctx.api.get(`/v1/licenses/lookup?key=${encodeURIComponent(license.key)}`);
    assert.ok(viaUrl.status === 404 || viaUrl.status === 405, `GET lookup answered ${viaUrl.status}`);
    assert.ok(!viaUrl.raw.includes(license.id));
    const malformed = await ctx.api.post('/v1/licenses/lookup', { key: 'not-a-key' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'VALIDATION_FAILED');
    const missing = await ctx.api.post('/v1/licenses/lookup', {});
    assert.equal(missing.status, 400);

    const { token } = await factories.signedInUser(ctx.api, ctx.t.app, 'customer-admin', customer.id);
    const asCustomer = client(ctx.t.app, token);
    const own = await asCustomer.post('/v1/licenses/lookup', { key: license.key });
    assert.equal(own.status, 200);
    assert.equal(own.body.id, license.id);
    const foreign = await asCustomer.post('/v1/licenses/lookup', { key: other.license.key });
    const unknown = await asCustomer.post('/v1/licenses/lookup', { key: generateLicenseKey() });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error.code, 'NOT_FOUND');
    assert.deepEqual(foreign.body, unknown.body, 'the same answer as a key nobody holds');
    assert.ok(!foreign.raw.includes(other.license.id), 'the 404 does not name the other license');
  });

  test('the list searches by license name, key group and the customer\'s name or e-mail, within the viewer\'s scope', async () => {
    const customer = await factories.customer(ctx.api, { name: 'Searchable Labs', email: `desk-${Date.now()}@searchable.example` });
    const { license, policy } = await factories.world(ctx.api);
    const mine = await ctx.api.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, name: 'Plain name' });
    assert.equal(mine.status, 201, mine.raw);
    const ids = async (q: string, api = ctx.api) => (await api.get(`/v1/licenses?q=${encodeURIComponent(q)}`)).body.data.map((l: { id: string }) => l.id);
    assert.deepEqual(await ids(customer.email.toUpperCase()), [mine.body.id], 'by e-mail, any case');
    assert.deepEqual(await ids('searchable labs'), [mine.body.id], "by the customer's name");
    assert.ok((await ids(mine.body.key.slice(-5))).includes(mine.body.id), "by the key's last group");
    const { token } = await factories.signedInUser(ctx.api, ctx.t.app, 'customer-admin', license.customerId);
    assert.deepEqual(await ids(customer.email, client(ctx.t.app, token)), [], "another organization's customer finds nothing");
  });

  test('update keeps history and checks dates', async () => {
    const { license } = await factories.world(ctx.api);
    const updated = await ctx.api.patch(`/v1/licenses/${license.id}`, {
      name: 'Renamed',
      maxMachines: 5,
      billing: { invoiceLinks: ['https://billing.example.com/inv/1'], paymentStatus: 'paid', purchaseMethod: 'web shop' },
      notes: 'VIP',
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.name, 'Renamed');
    assert.equal(updated.body.maxMachines, 5);
    assert.equal(updated.body.billing.paymentStatus, 'paid');
    const bad = await ctx.api.patch(`/v1/licenses/${license.id}`, { expiresAt: '2000-01-01T00:00:00.000Z' });
    assert.equal(bad.status, 400);
    const history = await ctx.api.get(`/v1/licenses/${license.id}/events`);
    assert.equal(history.body.data[0].action, 'license.updated');
    assert.equal(history.body.data[0].before.name, license.name);
    // The customer sees its license and its history, but not the vendor's internal notes.
    const member = await factories.signedInUser(ctx.api, ctx.t.app, 'customer-admin', license.customerId);
    const seen = await client(ctx.t.app, member.token).get(`/v1/licenses/${license.id}`);
    assert.deepEqual([seen.status, seen.body.billing.paymentStatus, seen.body.notes], [200, 'paid', null]);
    const seenHistory = await client(ctx.t.app, member.token).get(`/v1/licenses/${license.id}/events`);
    assert.equal(seenHistory.body.data[0].after.notes, null);
    assert.equal(seenHistory.body.data[0].after.name, 'Renamed');
  });

  test('pagination walks every license once', async () => {
    const product = await factories.product(ctx.api);
    const policy = await factories.policy(ctx.api, product.id);
    const ids = new Set<string>();
    for (let i = 0; i < 7; i++) ids.add((await factories.license(ctx.api, policy.id)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await ctx.api.get(`/v1/licenses?productId=${product.id}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...res.body.data.map((l: any) => l.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.equal(seen.length, 7);
    assert.deepEqual(new Set(seen), ids);
  });
});

// The Luhn mod 32 check symbol, recomputed here independently of the implementation.
function checkFor(body: string): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let factor = 2;
  let sum = 0;
  for (let i = body.length - 1; i >= 0; i--) {
    let addend = factor * alphabet.indexOf(body[i]!);
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / 32) + (addend % 32);
    sum += addend;
  }
  return alphabet[(32 - (sum % 32)) % 32]!;
}
