import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';
import { generateLicenseKey } from '../licenses/license-key.js';

forEachDialect('validation log reads and versions in the field', (dialect) => {
  const ctx = useTestApp(dialect);
  const anon = () => client(ctx.t.app, undefined);
  const validate = async (body: Record<string, unknown>, userAgent = 'acme-app/1.0') => {
    const res = await anon().call('POST', '/v1/licenses/validate', body, { 'user-agent': userAgent });
    assert.equal(res.status, 200, res.raw);
    return res.body;
  };
  const flush = () => ctx.t.services.validationLog.flush();

  test('listValidations: per license and customer, filters, keyset paging, bad input', async () => {
    const a = await factories.world(ctx.api);
    const b = await factories.world(ctx.api);
    const start = ctx.t.clock.now().toISOString();
    await validate({ key: a.license.key, fingerprint: 'fp-one', version: '1.0.0' });
    await validate({ key: a.license.key, fingerprint: 'fp-two', version: '1.1.0' });
    ctx.t.clock.advance(60_000);
    const middle = ctx.t.clock.now().toISOString();
    assert.equal((await ctx.api.post(`/v1/licenses/${a.license.id}/actions/suspend`)).status, 200);
    await validate({ key: a.license.key, fingerprint: 'fp-one' }, 'other-agent');
    await validate({ key: b.license.key, fingerprint: 'fp-b', version: '2.0.0' });
    await validate({ key: generateLicenseKey() });
    await flush();

    const list = async (query: string) => {
      const res = await ctx.api.get(`/v1/validations?${query}`);
      assert.equal(res.status, 200, res.raw);
      return res.body;
    };
    const ofA = await list(`licenseId=${a.license.id}`);
    assert.deepEqual(ofA.data.map((v: any) => [v.code, v.fingerprint, v.version]), [['SUSPENDED', 'fp-one', null], ['NO_MACHINE', 'fp-two', '1.1.0'], ['NO_MACHINE', 'fp-one', '1.0.0']]);
    assert.equal(ofA.nextCursor, null);
    const [newest] = ofA.data;
    assert.deepEqual(Object.keys(newest).sort(), ['at', 'code', 'customerId', 'fingerprint', 'id', 'ip', 'licenseId', 'userAgent', 'version']);
    assert.equal(newest.licenseId, a.license.id);
    assert.equal(newest.customerId, a.customer.id);
    assert.equal(newest.userAgent, 'other-agent');
    assert.equal(newest.at, middle);
    assert.ok(newest.ip);

    const codes = async (query: string) => (await list(query)).data.map((v: any) => v.code);
    assert.deepEqual(await codes(`licenseId=${a.license.id}&code=NO_MACHINE`), ['NO_MACHINE', 'NO_MACHINE']);
    assert.deepEqual(await codes(`licenseId=${a.license.id}&fingerprint=fp-one`), ['SUSPENDED', 'NO_MACHINE']);
    assert.deepEqual(await codes(`licenseId=${a.license.id}&ip=${encodeURIComponent(newest.ip)}`), ['SUSPENDED', 'NO_MACHINE', 'NO_MACHINE']);
    assert.deepEqual(await codes(`licenseId=${a.license.id}&ip=10.9.9.9`), []);
    assert.deepEqual(await codes(`licenseId=${a.license.id}&from=${encodeURIComponent(middle)}`), ['SUSPENDED']);
    assert.deepEqual(await codes(`licenseId=${a.license.id}&from=${encodeURIComponent(start)}&to=${encodeURIComponent(middle)}`), ['NO_MACHINE', 'NO_MACHINE']);
    assert.deepEqual(await codes(`customerId=${b.customer.id}`), ['NO_MACHINE']);
    assert.deepEqual((await list(`customerId=${a.customer.id}`)).data.length, 3);
    assert.deepEqual(await codes('code=NOT_FOUND'), ['NOT_FOUND']);

    // Keyset paging: two rows share a time; one per page, every row once, then no cursor.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await list(`licenseId=${a.license.id}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(page.data.length, 1);
      seen.push(`${page.data[0].code}:${page.data[0].fingerprint}`);
      cursor = page.nextCursor;
    } while (cursor !== null);
    assert.deepEqual(seen, ['SUSPENDED:fp-one', 'NO_MACHINE:fp-two', 'NO_MACHINE:fp-one']);

    for (const bad of ['from=yesterday', 'to=2026-13-40', 'code=BOGUS', 'cursor=not-a-cursor', 'limit=0', 'limit=101', 'licenseId=a%20b', 'colour=red']) {
      const res = await ctx.api.get(`/v1/validations?${bad}`);
      assert.equal(res.status, 400, `${bad}: ${res.raw}`);
      assert.equal(res.body.error.code, 'VALIDATION_FAILED', bad);
    }
  });

  test('listValidations scoping: a customer admin reads its own organization only; members and unknown keys not', async () => {
    const a = await factories.world(ctx.api);
    const b = await factories.world(ctx.api);
    await validate({ key: a.license.key, fingerprint: 'scope-a' });
    await validate({ key: b.license.key, fingerprint: 'scope-b' });
    await validate({ key: generateLicenseKey() });
    await flush();

    const adminA = client(ctx.t.app, (await factories.signedInUser(ctx.api, ctx.t.app, 'customer-admin', a.customer.id)).token);
    const own = await adminA.get('/v1/validations');
    assert.equal(own.status, 200, own.raw);
    assert.deepEqual(own.body.data.map((v: any) => [v.licenseId, v.fingerprint]), [[a.license.id, 'scope-a']]);
    assert.equal((await adminA.get(`/v1/validations?licenseId=${a.license.id}`)).body.data.length, 1);
    assert.deepEqual((await adminA.get(`/v1/validations?licenseId=${b.license.id}`)).body.data, []);
    assert.deepEqual((await adminA.get(`/v1/validations?customerId=${b.customer.id}`)).body.data, []);
    assert.deepEqual((await adminA.get('/v1/validations?code=NOT_FOUND')).body.data, []);

    const memberA = client(ctx.t.app, (await factories.signedInUser(ctx.api, ctx.t.app, 'customer-member', a.customer.id)).token);
    assert.equal((await memberA.get('/v1/validations')).status, 403);
    const readOnly = client(ctx.t.app, (await factories.signedInUser(ctx.api, ctx.t.app, 'read-only')).token);
    assert.equal((await readOnly.get(`/v1/validations?licenseId=${b.license.id}`)).body.data.length, 1);
  });

  test('getVersionsReport: versions from validations and update checks, per product and period', async () => {
    ctx.t.clock.advanceDays(100); // a period of its own, past the other tests' validations
    const from = ctx.t.clock.now().toISOString();
    const a = await factories.world(ctx.api);
    const second = await factories.license(ctx.api, a.policy.id, { customerId: a.customer.id });
    const other = await factories.world(ctx.api);
    await validate({ key: a.license.key, fingerprint: 'v-1', version: '3.0.0' });
    await validate({ key: a.license.key, fingerprint: 'v-2', version: '3.0.0' });
    await validate({ key: second.key, fingerprint: 'v-3', version: '3.0.0' });
    await validate({ key: a.license.key, fingerprint: 'v-1' });
    ctx.t.clock.advance(5_000);
    const check = await anon().post('/v1/updates/check', { key: second.key, product: a.product.id, version: '3.1.0' });
    assert.equal(check.status, 200, check.raw);
    await validate({ key: other.license.key, version: '9.9.9' });
    await flush();

    const report = await ctx.api.get(`/v1/reports/versions?productId=${a.product.id}&from=${encodeURIComponent(from)}`);
    assert.equal(report.status, 200, report.raw);
    assert.equal(report.body.productId, a.product.id);
    assert.equal(report.body.to, ctx.t.clock.now().toISOString());
    assert.deepEqual(report.body.data, [
      { version: '3.0.0', licenses: 2, fingerprints: 3, lastSeenAt: from },
      { version: '3.1.0', licenses: 1, fingerprints: 0, lastSeenAt: ctx.t.clock.now().toISOString() },
    ]);
    const all = await ctx.api.get('/v1/reports/versions');
    assert.equal(all.status, 200, all.raw);
    assert.equal(Date.parse(all.body.to) - Date.parse(all.body.from), 30 * 86_400_000, 'the last 30 days by default');
    assert.deepEqual(all.body.data.map((v: any) => v.version).sort(), ['3.0.0', '3.1.0', '9.9.9']);
    const before = await ctx.api.get(`/v1/reports/versions?to=${encodeURIComponent(from)}&from=2026-01-01T00:00:00Z`);
    assert.deepEqual(before.body.data.filter((v: any) => ['3.0.0', '3.1.0', '9.9.9'].includes(v.version)), []);

    for (const bad of ['from=last-week', `from=${encodeURIComponent(from)}&to=${encodeURIComponent(from)}`, 'productId=x%20y']) {
      const res = await ctx.api.get(`/v1/reports/versions?${bad}`);
      assert.equal(res.status, 400, `${bad}: ${res.raw}`);
    }
    const customerAdmin = client(ctx.t.app, (await factories.signedInUser(ctx.api, ctx.t.app, 'customer-admin', a.customer.id)).token);
    assert.equal((await customerAdmin.get('/v1/reports/versions')).status, 403);
  });
});
