import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

/** Issue 12 item 7: an untrusted template renders off the event loop, within hard limits. */
const NESTED = '{% for i in (1..5000) %}{% for j in (1..5000) %}{% assign x = j %}{% endfor %}{% endfor %}';
const HUGE = '{% for i in (1..150000) %}0123456789{% endfor %}';

forEachDialect('template rendering limits', (dialect) => {
  const ctx = useTestApp(dialect);

  test('a nested-loop preview is refused with TEMPLATE_RENDER_LIMIT while /health keeps answering', async () => {
    let previewSettled = false;
    const preview = ctx.api.post('/v1/mail-templates/license.issued/preview', { text: NESTED }).then((res) => {
      previewSettled = true;
      return res;
    });
    // Let the preview reach its render (on the old code that render then held the event loop, so this
    // timer fired only after it, and no health check could answer while it ran).
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = 0; i < 5; i++) {
      const health = await client(ctx.t.app, undefined).get('/health');
      assert.equal(health.status, 200);
      assert.equal(previewSettled, false, '/health answered while the render was in flight');
    }
    const refused = await preview;
    assert.equal(refused.status, 422, refused.raw);
    assert.equal(refused.body.error.code, 'TEMPLATE_RENDER_LIMIT');
    assert.equal(refused.body.error.details.limit, 'time');

    // The pool recovers: the next preview renders normally.
    const ok = await ctx.api.post('/v1/mail-templates/license.issued/preview', { subject: 'Hello {{ product.name }}' });
    assert.equal(ok.status, 200, ok.raw);
    assert.equal(ok.body.subject, 'Hello Photon Studio');
  });

  test('too much output is refused; saving such a template is refused the same way', async () => {
    const big = await ctx.api.post('/v1/mail-templates/license.issued/preview', { text: HUGE });
    assert.equal(big.status, 422, big.raw);
    assert.equal(big.body.error.code, 'TEMPLATE_RENDER_LIMIT');
    assert.equal(big.body.error.details.limit, 'output');
    const current = (await ctx.api.get('/v1/mail-templates/license.issued')).body;
    const saved = await ctx.api.call('PUT', '/v1/mail-templates/license.issued', { subject: current.subject, text: NESTED, html: current.html });
    assert.equal(saved.status, 422, saved.raw);
    assert.equal(saved.body.error.code, 'TEMPLATE_RENDER_LIMIT');
    assert.equal((await ctx.api.get('/v1/mail-templates/license.issued')).body.customized, false);
    // Syntax errors keep their own code.
    const broken = await ctx.api.post('/v1/mail-templates/license.issued/preview', { text: '{% if %}' });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'TEMPLATE_INVALID');
  });

  test('preview needs mail:write: support and read-only get 403, sales too', async () => {
    for (const role of ['support', 'read-only', 'sales']) {
      const { token } = await factories.signedInUser(ctx.api, ctx.t.app, role);
      const res = await client(ctx.t.app, token).post('/v1/mail-templates/license.issued/preview', { text: NESTED });
      assert.equal(res.status, 403, `${role}: ${res.raw}`);
      assert.equal(res.body.error.code, 'FORBIDDEN');
    }
  });

  test('a stored template that hits the limit at send time fails over to the built-in one; the mail is not lost', async () => {
    // Stored directly, as a template saved before the limits existed (the API now refuses it).
    await ctx.t.deps.database.db
      .insertInto('mail_templates')
      .values({ key: 'password.set', subject: 'Hostile', text: NESTED, html: '<p>x</p>', updated_by: 'test', updated_at: new Date().toISOString() })
      .execute();
    const user = await ctx.api.post('/v1/users', { email: `limits-${Date.now()}@example.com`, role: 'sales' });
    const sent = await ctx.api.post(`/v1/users/${user.body.id}/actions/send-password-link`);
    assert.equal(sent.status, 202, sent.raw);
    const mail = (await ctx.api.get(`/v1/outbox?to=${encodeURIComponent(user.body.email)}`)).body.data[0];
    assert.equal(mail.subject, 'Set your password', 'the built-in template was used');
    // The next mail skips that version at once, and is not lost either.
    const again = await ctx.api.post(`/v1/users/${user.body.id}/actions/send-password-link`);
    assert.equal(again.status, 202, again.raw);
    const mails = (await ctx.api.get(`/v1/outbox?to=${encodeURIComponent(user.body.email)}`)).body.data;
    assert.deepEqual(mails.map((m: { subject: string }) => m.subject), ['Set your password', 'Set your password']);
    assert.equal((await client(ctx.t.app, undefined).get('/health')).status, 200);
  });
});
