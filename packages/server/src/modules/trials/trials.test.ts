import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { client, factories, forEachDialect, startTestApp, useTestApp, type Client, type TestApp } from '../../testing/harness.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../testing/smtp.js';

const DAY = 86_400_000;
let counter = 0;
const unique = (label: string) => `${label}-${Date.now().toString(36)}${(counter++).toString(36)}`;
const email = (label: string) => `${unique(label)}@example.com`;

async function outbox(api: Client, query: string): Promise<any[]> {
  const res = await api.get(`/v1/outbox?${query}&limit=100`);
  assert.equal(res.status, 200, res.raw);
  return res.body.data;
}

forEachDialect('trials', (dialect) => {
  describe('staff trials', () => {
    const ctx = useTestApp(dialect);
    let api: Client;
    before(() => {
      api = ctx.api;
    });

    test('presets and allowed lengths per product; one click for a customer or an e-mail address; the key is mailed', async () => {
      const t = ctx.t;
      t.clock.set('2026-04-01T00:00:00.000Z');
      const product = await factories.product(api);
      assert.deepEqual([product.trialDurations, product.trialPreset, product.publicTrials], [[5, 30, 60, 90], 30, false]);
      const none = await api.post('/v1/licenses/trials', { productId: product.id, email: email('none') });
      assert.equal(none.body.error.code, 'TRIAL_NOT_CONFIGURED');
      const trialPolicy = await factories.policy(api, product.id, 'trial', { maxMachines: 1, features: ['pro'] });
      const customer = await factories.customer(api);

      const preset = await api.post('/v1/licenses/trials', { productId: product.id, customerId: customer.id });
      assert.equal(preset.status, 201, preset.raw);
      assert.equal(preset.body.type, 'trial');
      assert.equal(preset.body.policyId, trialPolicy.id);
      assert.equal(preset.body.expiresAt, new Date(t.clock.now().getTime() + 30 * DAY).toISOString());
      assert.equal(preset.body.trial.days, 30);
      assert.equal(preset.body.trial.source, 'staff');
      assert.match(preset.body.key, /^[0-9A-Z]{5}(-[0-9A-Z]{5}){5}$/);
      const mails = await outbox(api, `customerId=${customer.id}&template=trial.started`);
      assert.equal(mails.length, 1);
      assert.ok(mails[0].text.includes(preset.body.key), 'the trial mail carries the key');
      assert.match(mails[0].subject, /30-day/);

      const sixty = await api.post('/v1/licenses/trials', { productId: product.id, customerId: customer.id, days: 60, sendEmail: false });
      assert.equal(sixty.body.expiresAt, new Date(t.clock.now().getTime() + 60 * DAY).toISOString());
      assert.equal((await outbox(api, `customerId=${customer.id}&template=trial.started`)).length, 1, 'sendEmail false');
      const odd = await api.post('/v1/licenses/trials', { productId: product.id, customerId: customer.id, days: 7 });
      assert.equal(odd.status, 422);
      assert.equal(odd.body.error.code, 'TRIAL_DURATION_NOT_ALLOWED');
      assert.deepEqual(odd.body.error.details.allowed, [5, 30, 60, 90]);

      // A product's own lengths; the preset must be one of them.
      assert.equal((await api.patch(`/v1/products/${product.id}`, { trialDurations: [7, 14], trialPreset: 30 })).status, 400);
      const edited = await api.patch(`/v1/products/${product.id}`, { trialDurations: [14, 7], trialPreset: 14 });
      assert.deepEqual([edited.body.trialDurations, edited.body.trialPreset], [[7, 14], 14]);
      const fourteen = await api.post('/v1/licenses/trials', { productId: product.id, email: email('new-lead'), name: 'New Lead Ltd' });
      assert.equal(fourteen.status, 201, fourteen.raw);
      assert.equal(fourteen.body.trial.days, 14);
      const lead = (await api.get(`/v1/customers/${fourteen.body.customerId}`)).body;
      assert.equal(lead.name, 'New Lead Ltd');

      // Two trial policies: the product says which one.
      const second = await factories.policy(api, product.id, 'trial', { maxMachines: 3 });
      assert.equal((await api.post('/v1/licenses/trials', { productId: product.id, customerId: customer.id })).body.error.code, 'TRIAL_NOT_CONFIGURED');
      assert.equal((await api.patch(`/v1/products/${product.id}`, { trialPolicyId: (await factories.policy(api, product.id, 'timed')).id })).status, 400);
      assert.equal((await api.patch(`/v1/products/${product.id}`, { trialPolicyId: second.id })).status, 200);
      const chosen = await api.post('/v1/licenses/trials', { productId: product.id, customerId: customer.id });
      assert.equal(chosen.body.policyId, second.id);
      assert.equal((await api.post('/v1/licenses/trials', { productId: product.id, customerId: customer.id, email: email('both') })).status, 400);
    });

    test('extend by a preset; convert to paid keeps the key; trials listed per organization', async () => {
      const t = ctx.t;
      const anon = client(t.app, undefined);
      t.clock.set('2026-05-01T00:00:00.000Z');
      const product = await factories.product(api);
      await factories.policy(api, product.id, 'trial');
      const paid = await factories.policy(api, product.id, 'subscription', { maxMachines: 5, features: ['pro', 'export'], price: 19900, currency: 'EUR' });
      const customer = await factories.customer(api);
      const trial = (await api.post('/v1/licenses/trials', { productId: product.id, customerId: customer.id, days: 5 })).body;
      assert.equal(trial.expiresAt, '2026-05-06T00:00:00.000Z');

      const extended = await api.post(`/v1/licenses/${trial.id}/actions/extend-trial`, {});
      assert.equal(extended.status, 200, extended.raw);
      assert.equal(extended.body.expiresAt, '2026-06-05T00:00:00.000Z', 'by the preset, 30 days');
      const more = await api.post(`/v1/licenses/${trial.id}/actions/extend-trial`, { days: 5 });
      assert.equal(more.body.expiresAt, '2026-06-10T00:00:00.000Z');
      assert.equal((await api.post(`/v1/licenses/${trial.id}/actions/extend-trial`, { days: 6 })).body.error.code, 'TRIAL_DURATION_NOT_ALLOWED');
      const timed = await factories.world(api);
      assert.equal((await api.post(`/v1/licenses/${timed.license.id}/actions/extend-trial`, {})).body.error.code, 'NOT_A_TRIAL');

      // Conversion: the same key, now a paid subscription starting today.
      t.clock.set('2026-05-20T00:00:00.000Z');
      assert.equal((await anon.post('/v1/machines/activate', { key: trial.key, fingerprint: 'trial-pc' })).status, 201);
      const otherProduct = await factories.product(api);
      const foreign = await factories.policy(api, otherProduct.id, 'timed');
      const mismatch = await api.post(`/v1/licenses/${trial.id}/actions/convert-trial`, { policyId: foreign.id });
      assert.equal(mismatch.body.error.code, 'POLICY_PRODUCT_MISMATCH');
      const toTrial = await api.post(`/v1/licenses/${trial.id}/actions/convert-trial`, { policyId: (await factories.policy(api, product.id, 'trial')).id });
      assert.equal(toTrial.status, 400);
      const converted = await api.post(`/v1/licenses/${trial.id}/actions/convert-trial`, { policyId: paid.id });
      assert.equal(converted.status, 200, converted.raw);
      assert.deepEqual(
        [converted.body.id, converted.body.type, converted.body.policyId, converted.body.maxMachines, converted.body.features, converted.body.expiresAt],
        [trial.id, 'subscription', paid.id, 5, ['pro', 'export'], '2027-05-20T00:00:00.000Z'],
      );
      assert.equal(converted.body.subscription.price, 19900);
      assert.equal(converted.body.activeMachines, 1, 'its machines stay');
      const validation = await anon.post('/v1/licenses/validate', { key: trial.key, fingerprint: 'trial-pc' });
      assert.deepEqual([validation.body.code, validation.body.license.id, validation.body.license.type], ['VALID', trial.id, 'subscription']);
      const history = (await api.get(`/v1/licenses/${trial.id}/events?limit=100`)).body.data.map((e: any) => e.action);
      assert.deepEqual(history.slice(0, 4), ['trial.converted', 'machine.activated', 'trial.extended', 'trial.extended']);
      assert.equal((await api.get(`/v1/licenses/${trial.id}/key`)).body.key, trial.key, 'the same key');
      assert.equal((await api.post(`/v1/licenses/${trial.id}/actions/convert-trial`, { policyId: paid.id })).body.error.code, 'NOT_A_TRIAL');

      const listed = (await api.get(`/v1/trials?productId=${product.id}`)).body.data;
      assert.equal(listed.length, 1);
      assert.deepEqual([listed[0].days, listed[0].convertedPolicyId, listed[0].machineBound], [40, paid.id, false]);
      assert.equal((await api.get(`/v1/trials?productId=${product.id}&converted=false`)).body.data.length, 0);
      // A customer sees its own organization's trials only.
      const other = await factories.customer(api);
      await api.post('/v1/licenses/trials', { productId: product.id, customerId: other.id, sendEmail: false });
      const member = await factories.signedInUser(api, t.app, 'customer-member', customer.id);
      const own = (await client(t.app, member.token).get('/v1/trials?limit=100')).body.data;
      assert.ok(own.length >= 1 && own.every((x: any) => x.customerId === customer.id));
      assert.deepEqual((await client(t.app, member.token).get(`/v1/trials?customerId=${other.id}`)).body.data, []);
    });

    test("a partner converts its customer's trial drawing from its contract: the quota counts it; an exhausted contract leaves the trial a trial", async () => {
      const product = await factories.product(api);
      await factories.policy(api, product.id, 'trial', { maxMachines: 1 });
      const paid = await factories.policy(api, product.id, 'timed', { maxMachines: 1 });
      const group = (await api.post('/v1/product-groups', { name: `Trial group ${Date.now()}`, productIds: [product.id] })).body;
      const partner = (await api.post('/v1/partners', { name: 'Trial seller', grants: [{ productGroupId: group.id, rights: ['trials:create', 'licenses:create', 'customers:create'] }] })).body;
      const pack = await api.post('/v1/contracts', { partnerId: partner.id, policyId: paid.id, unit: 'licenses', quantity: 1 });
      assert.equal(pack.status, 201, pack.raw);
      const email = `seller-${Date.now()}@example.com`;
      assert.equal((await api.post('/v1/users', { email, password: 'correct horse battery', role: 'partner-admin', partnerId: partner.id })).status, 201);
      const seller = client(ctx.t.app, (await client(ctx.t.app, undefined).post('/v1/auth/sign-in', { email, password: 'correct horse battery' })).body.token);
      const customer = (await seller.post('/v1/customers', { name: 'Trial buyer', email: `buyer-${Date.now()}@example.com` })).body;
      const trial = async () => (await seller.post('/v1/licenses/trials', { productId: product.id, customerId: customer.id, sendEmail: false })).body;
      const [first, second] = [await trial(), await trial()];

      const converted = await seller.post(`/v1/licenses/${first.id}/actions/convert-trial`, { policyId: paid.id, contractId: pack.body.id });
      assert.equal(converted.status, 200, converted.raw);
      assert.deepEqual([converted.body.type, converted.body.policyId, converted.body.contractId, converted.body.soldBy], ['commercial', paid.id, pack.body.id, partner.id]);
      assert.deepEqual([(await api.get(`/v1/contracts/${pack.body.id}`)).body.used, (await api.get(`/v1/contracts/${pack.body.id}`)).body.remaining], [1, 0]);

      const over = await seller.post(`/v1/licenses/${second.id}/actions/convert-trial`, { policyId: paid.id, contractId: pack.body.id });
      assert.equal(over.status, 422, over.raw);
      assert.equal(over.body.error.code, 'QUOTA_EXHAUSTED');
      const unchanged = (await api.get(`/v1/licenses/${second.id}`)).body;
      assert.deepEqual([unchanged.type, unchanged.contractId], ['trial', null], 'the refused draw changed nothing');
      assert.equal((await api.get(`/v1/trials?productId=${product.id}&converted=false`)).body.data.length, 1);
      // Without a contract, the conversion draws nothing (the vendor bills it otherwise).
      const plain = await seller.post(`/v1/licenses/${second.id}/actions/convert-trial`, { policyId: paid.id });
      assert.equal(plain.status, 200, plain.raw);
      assert.equal(plain.body.contractId, null);
      assert.equal((await api.get(`/v1/contracts/${pack.body.id}`)).body.used, 1);
    });
  });

  describe('public sign-up', () => {
    let t: TestApp;
    let smtp: TestSmtpServer;
    let api: Client;
    let anon: Client;
    let product: any;
    before(async () => {
      smtp = await startTestSmtpServer();
      t = await startTestApp(dialect, { config: { smtpUrl: smtp.url } });
      api = client(t.app);
      anon = client(t.app, undefined);
      product = await factories.product(api, { name: 'Photon Studio' });
      await factories.policy(api, product.id, 'trial', { maxMachines: 1 });
    });
    after(async () => {
      await t?.close();
      await smtp?.stop();
    });

    test('an e-mail address gets a trial key and a set-password link by mail; the answer reveals neither', async () => {
      const closed = await anon.post('/v1/trials', { product: product.code, email: email('early') });
      assert.equal(closed.status, 422);
      assert.equal(closed.body.error.code, 'TRIALS_NOT_OFFERED');
      assert.equal((await api.patch(`/v1/products/${product.id}`, { publicTrials: true })).status, 200);

      const address = email('Visitor').replace('visitor', 'Visitor');
      const res = await anon.post('/v1/trials', { product: product.code, email: address, name: 'Vera Visitor', fingerprint: 'vera-laptop' });
      assert.equal(res.status, 202, res.raw);
      assert.deepEqual(Object.keys(res.body).sort(), ['days', 'message', 'product', 'status']);
      assert.equal(res.body.days, 30);
      assert.ok(!/[0-9A-Z]{5}-[0-9A-Z]{5}/.test(res.raw), 'no key in the answer');
      await t.services.worker.drain();
      const [mail] = await smtp.waitFor(1);
      assert.equal(mail!.envelopeTo[0], address.toLowerCase());
      assert.match(mail!.subject!, /30-day Photon Studio trial/);
      const key = /([0-9A-Z]{5}(?:-[0-9A-Z]{5}){5})/.exec(mail!.text!)?.[1];
      assert.ok(key, 'the mail carries the key');
      const link = /(http\S+set-password\?token=\S+)/.exec(mail!.text!)?.[1];
      assert.ok(link, 'and a set-password link');

      // The key works; the customer and its admin exist; the link sets the password and the portal opens.
      const validation = await anon.post('/v1/licenses/validate', { key });
      assert.deepEqual([validation.body.code, validation.body.license.type], ['VALID', 'trial']);
      const customers = (await api.get(`/v1/customers?email=${encodeURIComponent(address.toLowerCase())}`)).body.data;
      assert.equal(customers.length, 1);
      assert.equal(customers[0].name, 'Vera Visitor');
      const token = new URL(link!).searchParams.get('token');
      assert.equal((await anon.post('/v1/auth/password-reset/complete', { token, password: 'vera picks a passphrase' })).status, 204);
      const signIn = await anon.post('/v1/auth/sign-in', { email: address.toLowerCase(), password: 'vera picks a passphrase' });
      assert.equal(signIn.status, 200, signIn.raw);
      const portal = client(t.app, signIn.body.token);
      const mine = (await portal.get('/v1/licenses')).body.data;
      assert.deepEqual(mine.map((l: any) => l.type), ['trial']);
      assert.equal(signIn.body.user.role, 'customer-admin');

      // One trial per address (any case) and per machine.
      const again = await anon.post('/v1/trials', { product: product.id, email: address.toUpperCase() });
      assert.deepEqual([again.status, again.body.error.code, again.body.error.details.reason], [422, 'TRIAL_ALREADY_USED', 'email']);
      const sameMachine = await anon.post('/v1/trials', { product: product.id, email: email('other'), fingerprint: 'vera-laptop' });
      assert.deepEqual([sameMachine.status, sameMachine.body.error.details.reason], [422, 'machine']);
      // Another product is another trial.
      const other = await factories.product(api, { publicTrials: true });
      await factories.policy(api, other.id, 'trial');
      assert.equal((await anon.post('/v1/trials', { product: other.id, email: address, fingerprint: 'vera-laptop' })).status, 202);
      assert.equal((await anon.post('/v1/trials', { product: 'no-such-product', email: email('x') })).status, 404);
      assert.equal((await anon.post('/v1/trials', { email: email('x') })).status, 400);
    });

    test('a known address answers the same, gets no second login; a signed-up key activates on one machine that had no trial', async () => {
      const known = await factories.customer(api, { email: email('buyer') });
      const res = await anon.post('/v1/trials', { product: product.id, email: known.email });
      assert.equal(res.status, 202);
      assert.deepEqual(Object.keys(res.body).sort(), ['days', 'message', 'product', 'status']);
      const trials = (await api.get(`/v1/trials?customerId=${known.id}`)).body.data;
      assert.equal(trials.length, 1, 'the trial belongs to the customer that had the address');
      await t.services.worker.drain();

      // Two sign-ups without fingerprints, then the same machine: the second trial key is refused there.
      const keys: string[] = [];
      for (const label of ['first', 'second']) {
        const before = smtp.received.length;
        const address = email(label);
        assert.equal((await anon.post('/v1/trials', { product: product.id, email: address })).status, 202);
        await t.services.worker.drain();
        const mails = await smtp.waitFor(before + 1);
        const mail = mails.find((m) => m.envelopeTo.includes(address))!;
        keys.push(/([0-9A-Z]{5}(?:-[0-9A-Z]{5}){5})/.exec(mail.text!)![1]!);
      }
      assert.equal((await anon.post('/v1/machines/activate', { key: keys[0], fingerprint: 'shared-pc' })).status, 201);
      const refused = await anon.post('/v1/machines/activate', { key: keys[1], fingerprint: 'shared-pc' });
      assert.deepEqual([refused.status, refused.body.error.code], [422, 'TRIAL_ALREADY_USED']);
      assert.equal((await anon.post('/v1/machines/activate', { key: keys[1], fingerprint: 'own-pc' })).status, 201);
      // And a sign-up naming a machine already bound to a trial is refused.
      assert.equal((await anon.post('/v1/trials', { product: product.id, email: email('third'), fingerprint: 'shared-pc' })).status, 422);
    });

    test('concurrent sign-ups for one address: one trial', async () => {
      const address = email('racer');
      const answers = await Promise.all([1, 2, 3, 4].map(() => anon.post('/v1/trials', { product: product.id, email: address })));
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [202, 422, 422, 422], answers.map((a) => a.raw).join('\n'));
      const customers = (await api.get(`/v1/customers?email=${encodeURIComponent(address)}`)).body.data;
      assert.equal(customers.length, 1);
    });
  });

  describe('sign-up rate limit', () => {
    const ctx = useTestApp(dialect, { config: { trialRateLimit: 2 } });
    test('per client IP', async () => {
      const anon = client(ctx.t.app, undefined);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await anon.post('/v1/trials', { product: 'nothing-here', email: email('flood') })).status);
      assert.deepEqual(statuses, [404, 404, 429]);
    });
  });
});
