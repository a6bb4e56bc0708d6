import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

forEachDialect('staff notes on a customer stay with staff', (dialect) => {
  const ctx = useTestApp(dialect);

  test('customer users and customer tokens never receive their customer record\'s notes, through any route that returns it', async () => {
    const api = ctx.api;
    const notes = 'Staff only: late payer, discount 30% max';
    const customer = await factories.customer(api, { notes });
    assert.equal((await api.get(`/v1/customers/${customer.id}`)).body.notes, notes, 'staff read them');

    const admin = await factories.signedInUser(api, ctx.t.app, 'customer-admin', customer.id);
    const member = await factories.signedInUser(api, ctx.t.app, 'customer-member', customer.id);
    const token = await api.post('/v1/tokens', { name: 'customer integration', role: 'customer-admin', customerId: customer.id });
    assert.equal(token.status, 201, token.raw);

    for (const [who, credential] of [['customer-admin session', admin.token], ['customer-member session', member.token], ['customer token', token.body.token]] as const) {
      const as = client(ctx.t.app, credential);
      const one = await as.get(`/v1/customers/${customer.id}`);
      assert.equal(one.status, 200, `${who}: ${one.raw}`);
      assert.equal(one.body.notes, null, `${who}: getCustomer`);
      const list = await as.get('/v1/customers');
      assert.deepEqual(list.body.data.map((c: any) => [c.id, c.notes]), [[customer.id, null]], `${who}: listCustomers`);
      const byEmail = await as.get(`/v1/customers?email=${encodeURIComponent(customer.email)}`);
      assert.deepEqual(byEmail.body.data.map((c: any) => c.notes), [null], `${who}: listCustomers by e-mail`);
      assert.ok(!JSON.stringify([one.body, list.body, byEmail.body]).includes('late payer'));
    }

    // Staff editing the notes: the audit trail customers read keeps them hidden too.
    assert.equal((await api.patch(`/v1/customers/${customer.id}`, { notes: `${notes} (again)` })).status, 200);
    const history = await client(ctx.t.app, admin.token).get('/v1/events');
    assert.equal(history.status, 200);
    assert.ok(!history.raw.includes('late payer'), 'events shown to the customer do not carry the notes');
    assert.equal((await api.get(`/v1/customers/${customer.id}`)).body.notes, `${notes} (again)`, 'hiding them never wipes them');
  });
});
