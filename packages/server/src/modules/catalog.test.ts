import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../testing/harness.js';

forEachDialect('products, policies and customers', (dialect) => {
  const ctx = useTestApp(dialect);

  test('products: code from the name, unique codes, lookup by id or code, update, delete', async () => {
    const created = await ctx.api.post('/v1/products', { name: 'CRM Exporter', description: 'Exports CRM data' });
    assert.equal(created.status, 201);
    assert.equal(created.body.code, 'crm-exporter');
    const clash = await ctx.api.post('/v1/products', { name: 'Another', code: 'crm-exporter' });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.error.code, 'CONFLICT');
    assert.equal((await ctx.api.get('/v1/products/crm-exporter')).body.id, created.body.id);
    const updated = await ctx.api.patch(`/v1/products/${created.body.id}`, { name: 'CRM Exporter Pro' });
    assert.equal(updated.body.name, 'CRM Exporter Pro');
    assert.equal((await ctx.api.patch(`/v1/products/${created.body.id}`, {})).status, 400, 'an empty patch says nothing');
    assert.equal((await ctx.api.delete(`/v1/products/${created.body.id}`)).status, 204);
    assert.equal((await ctx.api.get(`/v1/products/${created.body.id}`)).status, 404);
  });

  test('product codes: accents dropped, Latin letters spelled out, a name without Latin letters and a generated clash get a unique code', async () => {
    const code = async (body: Record<string, unknown>) => {
      const res = await ctx.api.post('/v1/products', body);
      assert.equal(res.status, 201, res.raw);
      return res.body.code as string;
    };
    assert.equal(await code({ name: 'Café Crème' }), 'cafe-creme');
    assert.equal(await code({ name: 'Straße Øl Łódź Æther Þing' }), 'strasse-ol-lodz-aether-thing');
    assert.equal(await code({ name: 'Ｆｕｌｌ ｗｉｄｔｈ Ⅸ' }), 'full-width-ix');
    const first = await code({ name: 'インボイス' });
    const second = await code({ name: '发票' });
    assert.match(first, /^product-[a-z0-9]{6}$/);
    assert.match(second, /^product-[a-z0-9]{6}$/);
    assert.notEqual(first, second);
    // The same name again: the generated code gets a suffix; a code the caller chose stays a 409.
    assert.equal(await code({ name: 'Café Crème' }), 'cafe-creme-2');
    assert.equal(await code({ name: 'cafe creme' }), 'cafe-creme-3');
    const chosen = await ctx.api.post('/v1/products', { name: 'Other', code: 'cafe-creme' });
    assert.deepEqual([chosen.status, chosen.body.error.code, chosen.body.error.details.fields.code], [409, 'CONFLICT', 'is taken']);
  });

  test('schema errors reach people in words; details keep the field, the rule and its limit', async () => {
    const badCode = await ctx.api.post('/v1/products', { name: 'Bad code', code: 'Bad Code!' });
    assert.equal(badCode.status, 400);
    assert.equal(badCode.body.error.code, 'VALIDATION_FAILED');
    assert.equal(badCode.body.error.message, 'code: use lowercase letters, digits, dots, dashes and underscores, starting with a letter or digit');
    assert.deepEqual(badCode.body.error.details.problems, [
      { field: 'code', keyword: 'pattern', message: badCode.body.error.details.fields.code, pattern: '^[a-z0-9][a-z0-9._-]*$' },
    ]);

    const badEmail = await ctx.api.post('/v1/customers', { name: 'Mail', email: 'not-an-address' });
    assert.deepEqual([badEmail.status, badEmail.body.error.message], [400, 'email: not a valid e-mail address']);
    assert.equal(badEmail.body.error.details.problems[0].format, 'email');

    const customer = await factories.customer(ctx.api, { notes: 'kept' });
    const long = await ctx.api.patch(`/v1/customers/${customer.id}`, { notes: 'n'.repeat(10_001) });
    assert.deepEqual([long.status, long.body.error.message], [400, 'notes: at most 10000 characters']);
    assert.deepEqual(long.body.error.details.problems, [{ field: 'notes', keyword: 'maxLength', message: 'at most 10000 characters', limit: 10_000 }]);
    assert.equal((await ctx.api.get(`/v1/customers/${customer.id}`)).body.notes, 'kept', 'nothing was cut and saved');
    const exact = await ctx.api.patch(`/v1/customers/${customer.id}`, { notes: 'n'.repeat(10_000) });
    assert.equal(exact.body.notes.length, 10_000);

    const several = await ctx.api.post('/v1/policies', { name: '', kind: 'forever', maxMachines: 1.5 });
    assert.equal(several.status, 400);
    const fields = several.body.error.details.fields;
    assert.deepEqual(
      [fields.productId, fields.name, fields.kind?.startsWith('must be one of: "perpetual"'), fields.maxMachines],
      ['is required', 'must not be empty', true, 'must be a whole number or null'],
      several.raw,
    );
    assert.ok(!/must match|must NOT|must have required/.test(several.body.error.message), several.body.error.message);
  });

  test('policies: defaults per kind and their rules', async () => {
    const product = await factories.product(ctx.api);
    const trial = await ctx.api.post('/v1/policies', { productId: product.id, name: 'Trial', kind: 'trial' });
    assert.equal(trial.status, 201);
    assert.equal(trial.body.durationDays, 30);
    assert.equal(trial.body.maxMachines, null);
    const perpetual = await ctx.api.post('/v1/policies', { productId: product.id, name: 'Forever', kind: 'perpetual' });
    assert.equal(perpetual.body.durationDays, null);
    const floating = await ctx.api.post('/v1/policies', { productId: product.id, name: 'Float', kind: 'subscription', floating: true, maxMachines: 10 });
    assert.equal(floating.body.heartbeatSeconds, 600);
    const wrong = await ctx.api.post('/v1/policies', { productId: product.id, name: 'Bad', kind: 'perpetual', durationDays: 10 });
    assert.equal(wrong.status, 400);
    assert.ok(wrong.body.error.details.fields.durationDays);
    const noProduct = await ctx.api.post('/v1/policies', { productId: 'prod_missing', name: 'X', kind: 'timed' });
    assert.equal(noProduct.status, 404);
    const listed = await ctx.api.get(`/v1/policies?productId=${product.id}`);
    assert.equal(listed.body.data.length, 3);
    // A product with policies cannot be deleted; a policy with licenses neither.
    assert.equal((await ctx.api.delete(`/v1/products/${product.id}`)).status, 409);
    await factories.license(ctx.api, trial.body.id);
    assert.equal((await ctx.api.delete(`/v1/policies/${trial.body.id}`)).status, 409);
    assert.equal((await ctx.api.delete(`/v1/policies/${perpetual.body.id}`)).status, 204);
  });

  test('a license inherits the policy terms and may override them', async () => {
    const product = await factories.product(ctx.api);
    const policy = await factories.policy(ctx.api, product.id, 'subscription', { maxMachines: 3, features: ['a'], graceDays: 7 });
    const inherited = await factories.license(ctx.api, policy.id);
    assert.deepEqual([inherited.maxMachines, inherited.features, inherited.graceDays, inherited.type], [3, ['a'], 7, 'subscription']);
    const custom = await factories.license(ctx.api, policy.id, { maxMachines: null, features: ['a', 'b'], type: 'custom', expiresAt: '2030-01-01T00:00:00.000Z' });
    assert.deepEqual([custom.maxMachines, custom.features, custom.type, custom.expiresAt], [null, ['a', 'b'], 'custom', '2030-01-01T00:00:00.000Z']);
    // Later policy changes do not rewrite issued licenses.
    await ctx.api.patch(`/v1/policies/${policy.id}`, { maxMachines: 50 });
    assert.equal((await ctx.api.get(`/v1/licenses/${inherited.id}`)).body.maxMachines, 3);
  });

  test('customers: contacts, search, e-mail filter, and no deletion while in use', async () => {
    const customer = await ctx.api.post('/v1/customers', {
      name: 'Acme GmbH',
      email: 'Billing@Acme.example',
      contacts: [{ name: 'Jo', email: 'jo@acme.example', role: 'IT' }],
    });
    assert.equal(customer.status, 201);
    assert.equal(customer.body.email, 'billing@acme.example');
    assert.equal((await ctx.api.get('/v1/customers?q=acme')).body.data[0].id, customer.body.id);
    assert.equal((await ctx.api.get('/v1/customers?email=billing@acme.example')).body.data.length, 1);
    const { policy } = await factories.world(ctx.api);
    await factories.license(ctx.api, policy.id, { customerId: customer.body.id });
    assert.equal((await ctx.api.delete(`/v1/customers/${customer.body.id}`)).status, 409);
    const lonely = await factories.customer(ctx.api);
    assert.equal((await ctx.api.delete(`/v1/customers/${lonely.id}`)).status, 204);
  });

  test('every change is in the audit log with actor, before and after', async () => {
    const product = await factories.product(ctx.api);
    await ctx.api.patch(`/v1/products/${product.id}`, { description: 'new' });
    const events = await ctx.api.get(`/v1/events?targetType=product&targetId=${product.id}`);
    assert.deepEqual(events.body.data.map((e: any) => e.action), ['product.updated', 'product.created']);
    const [updated] = events.body.data;
    assert.equal(updated.actor.type, 'admin-token');
    assert.equal(updated.before.description, null);
    assert.equal(updated.after.description, 'new');
    assert.ok(updated.at && updated.requestId);
  });
});
