import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { client, forEachDialect, startTestApp, type TestApp } from '../testing/harness.js';

/** The operationIds CONTRACT.md fixes for the capabilities built so far. */
const CONTRACT_OPERATIONS = [
  'getPublicKey',
  'validateLicense',
  'createProduct',
  'createPolicy',
  'createCustomer',
  'createLicense',
  'getLicense',
  'listLicenses',
  'updateLicense',
  'suspendLicense',
  'reinstateLicense',
  'revokeLicense',
  'renewLicense',
  'extendLicense',
  'listEvents',
];

forEachDialect('OpenAPI, docs and health', (dialect) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(dialect);
  });
  after(async () => t?.close());

  test('/openapi.json lists every operation with a unique operationId', async () => {
    const res = await client(t.app, undefined).get('/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    const ids: string[] = [];
    for (const [path, item] of Object.entries<any>(res.body.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        assert.ok(op.operationId, `${method.toUpperCase()} ${path} has an operationId`);
        ids.push(op.operationId);
      }
    }
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    for (const id of CONTRACT_OPERATIONS) assert.ok(ids.includes(id), `${id} is documented`);
    const validate = res.body.paths['/v1/licenses/validate'].post;
    assert.ok(validate.requestBody.content['application/json'].schema.properties.nonce);
  });

  test('the docs UI is served without a credential', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
  });

  test('/health answers 200 while the database answers (the 503 is tested below, with the database closed); unknown paths 404', async () => {
    const ok = await client(t.app, undefined).get('/health');
    assert.deepEqual([ok.status, ok.body.status, ok.body.database], [200, 'ok', dialect]);
    const anon = client(t.app, undefined);
    assert.equal((await anon.get('/no/such/route')).status, 404);
    assert.equal((await anon.get('/no/such/route')).body.error.code, 'NOT_FOUND');
  });
});

forEachDialect('health with the database gone', (dialect) => {
  test('/health answers 503 UNAVAILABLE when the database does not answer', async () => {
    const t = await startTestApp(dialect);
    try {
      await t.deps.database.close();
      const res = await client(t.app, undefined).get('/health');
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'UNAVAILABLE');
    } finally {
      await t.app.close().catch(() => {});
      await t.close().catch(() => {});
    }
  });
});
