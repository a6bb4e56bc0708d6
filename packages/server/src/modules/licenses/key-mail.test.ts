import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

forEachDialect('send the key to the customer', (dialect) => {
  const ctx = useTestApp(dialect);

  test('sendLicenseKey queues the license.issued mail with the key to the customer; the audit event names the address, never the key', async () => {
    const { license, customer } = await factories.world(ctx.api);
    const res = await ctx.api.post(`/v1/licenses/${license.id}/actions/send-key`);
    assert.equal(res.status, 202, res.raw);
    assert.equal(res.body.to, customer.email);
    const mail = await ctx.t.services.mail.getMail(res.body.mailId);
    assert.equal(mail.template, 'license.issued');
    assert.deepEqual(mail.to, [customer.email]);
    assert.equal(mail.customerId, customer.id);
    assert.ok(mail.text.includes(license.key), 'the mail holds the key');

    const events = await ctx.api.get(`/v1/events?targetId=${license.id}&action=license.key_mailed`);
    assert.equal(events.body.data.length, 1);
    assert.equal(events.body.data[0].after.to, customer.email);
    assert.ok(!JSON.stringify(events.body.data[0]).includes(license.key), 'the key is not in the audit log');
    const again = await ctx.api.post(`/v1/licenses/${license.id}/actions/send-key`);
    assert.equal(again.status, 202, 'staff may send it again');
    assert.notEqual(again.body.mailId, res.body.mailId);
  });

  test('sendLicenseKey: no customer is 422 NO_RECIPIENT; another organization, a customer user and read-only staff cannot send', async () => {
    const { policy, customer } = await factories.world(ctx.api);
    const loose = await ctx.api.post('/v1/licenses', { policyId: policy.id });
    assert.equal(loose.status, 201, loose.raw);
    const none = await ctx.api.post(`/v1/licenses/${loose.body.id}/actions/send-key`);
    assert.deepEqual([none.status, none.body.error.code], [422, 'NO_RECIPIENT']);

    const other = await factories.world(ctx.api);
    const admin = await factories.signedInUser(ctx.api, ctx.t.app, 'customer-admin', customer.id);
    const asCustomer = await client(ctx.t.app, admin.token).post(`/v1/licenses/${other.license.id}/actions/send-key`);
    assert.equal(asCustomer.status, 403);
    const readOnly = await factories.signedInUser(ctx.api, ctx.t.app, 'read-only');
    assert.equal((await client(ctx.t.app, readOnly.token).post(`/v1/licenses/${other.license.id}/actions/send-key`)).status, 403);
    const support = await factories.signedInUser(ctx.api, ctx.t.app, 'support');
    assert.equal((await client(ctx.t.app, support.token).post(`/v1/licenses/${other.license.id}/actions/send-key`)).status, 202, 'support resends keys');
    assert.equal((await ctx.api.post('/v1/licenses/lic_00000000000000000000000000/actions/send-key')).status, 404);
  });
});
