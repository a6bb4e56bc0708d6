import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

const DAY = 86_400_000;

forEachDialect('dashboard overview and FAQ entries', (dialect) => {
  const ctx = useTestApp(dialect);

  test('the overview counts derived statuses, expiring licenses, trials, seats and licenses per product; customers see their own', async () => {
    const api = ctx.api;
    const now = ctx.t.clock.now().getTime();
    const at = (days: number) => new Date(now + days * DAY).toISOString();
    const before = (await api.get('/v1/stats/overview')).body;

    const product = await factories.product(api);
    const policy = await factories.policy(api, product.id, 'timed', { maxMachines: 3, graceDays: 5 });
    const trialPolicy = await factories.policy(api, product.id, 'trial', { maxMachines: 1 });
    const customer = await factories.customer(api);
    const mine = { customerId: customer.id };
    const active = await factories.license(api, policy.id, { ...mine, expiresAt: at(100) });
    await factories.license(api, policy.id, { ...mine, expiresAt: at(10) }); // expiring in 30 days
    await factories.license(api, policy.id, { startsAt: at(-40), expiresAt: at(-2) }); // grace (5 days)
    await factories.license(api, policy.id, { startsAt: at(-40), expiresAt: at(-20) }); // expired
    await factories.license(api, policy.id, { startsAt: at(5), expiresAt: at(50) }); // pending
    const suspended = await factories.license(api, policy.id, { expiresAt: at(100) });
    await api.post(`/v1/licenses/${suspended.id}/actions/suspend`);
    const revoked = await factories.license(api, policy.id, { expiresAt: at(100) });
    await api.post(`/v1/licenses/${revoked.id}/actions/revoke`);
    await factories.license(api, trialPolicy.id, { ...mine, expiresAt: at(3) }); // trial ending in 7 days
    await client(ctx.t.app, undefined).post('/v1/machines/activate', { key: active.key, fingerprint: 'overview-machine-1' });
    await client(ctx.t.app, undefined).post('/v1/machines/activate', { key: active.key, fingerprint: 'overview-machine-2' });

    const res = await api.get('/v1/stats/overview');
    assert.equal(res.status, 200, res.raw);
    const d = (path: (o: any) => number) => path(res.body) - path(before);
    assert.deepEqual(
      [d((o) => o.licenses.total), d((o) => o.licenses.active), d((o) => o.licenses.grace), d((o) => o.licenses.expired), d((o) => o.licenses.pending), d((o) => o.licenses.suspended), d((o) => o.licenses.revoked)],
      [8, 3, 1, 1, 1, 1, 1],
    );
    assert.equal(d((o) => o.licenses.expiringIn30Days), 2, 'the 10-day license and the 3-day trial');
    assert.deepEqual([d((o) => o.trials.active), d((o) => o.trials.endingIn7Days)], [1, 1]);
    assert.equal(d((o) => o.seats.inUse), 2);
    assert.equal(d((o) => o.seats.limit), 3 + 3 + 1, 'maxMachines of the three active licenses');
    assert.equal(res.body.byProduct.find((p: any) => p.productId === product.id)?.licenses, 8);

    const member = await factories.signedInUser(api, ctx.t.app, 'customer-member', customer.id);
    const theirs = (await client(ctx.t.app, member.token).get('/v1/stats/overview')).body;
    assert.deepEqual([theirs.licenses.total, theirs.licenses.active, theirs.licenses.expiringIn30Days, theirs.seats.inUse], [3, 3, 2, 2], 'only the organization’s licenses');
    assert.deepEqual(theirs.byProduct.map((p: any) => p.productId), [product.id]);
  });

  test('FAQ: staff write Markdown entries; customers read the published general ones and those of products they see', async () => {
    const api = ctx.api;
    const { product, customer } = await factories.world(api);
    const other = await factories.product(api);
    const general = await api.post('/v1/faq', { question: 'How do I move my license?', answer: 'Deactivate the old machine.\n<script>x</script>', position: 1 });
    assert.equal(general.status, 201, general.raw);
    assert.ok(general.body.answerHtml.includes('&lt;script&gt;'), 'raw HTML escaped');
    const forProduct = await api.post('/v1/faq', { question: 'Where is the export?', answer: 'In **File**.', productId: product.id });
    const forOther = await api.post('/v1/faq', { question: 'Other product?', answer: 'Not yours.', productId: other.id });
    const draft = await api.post('/v1/faq', { question: 'Draft?', answer: 'Not yet.', published: false });
    assert.equal(forProduct.body.position > general.body.position, true, 'new entries go to the end');

    const staffIds = (await api.get('/v1/faq')).body.data.map((e: any) => e.id);
    for (const e of [general, forProduct, forOther, draft]) assert.ok(staffIds.includes(e.body.id));

    const member = client(ctx.t.app, (await factories.signedInUser(api, ctx.t.app, 'customer-member', customer.id)).token);
    const seen = (await member.get('/v1/faq')).body.data.map((e: any) => e.id);
    assert.ok(seen.includes(general.body.id) && seen.includes(forProduct.body.id));
    assert.ok(!seen.includes(forOther.body.id) && !seen.includes(draft.body.id), 'other products and drafts are hidden');
    assert.equal((await member.post('/v1/faq', { question: 'Mine?', answer: 'No.' })).status, 403);
    assert.equal((await member.patch(`/v1/faq/${general.body.id}`, { answer: 'Hacked' })).status, 403);

    const edited = await api.patch(`/v1/faq/${draft.body.id}`, { published: true, answer: 'Now *yes*.' });
    assert.deepEqual([edited.status, edited.body.published, edited.body.answerHtml.trim()], [200, true, '<p>Now <em>yes</em>.</p>']);
    assert.ok((await member.get('/v1/faq')).body.data.some((e: any) => e.id === draft.body.id));
    assert.equal((await api.delete(`/v1/faq/${draft.body.id}`)).status, 204);
    assert.equal((await api.delete(`/v1/faq/${draft.body.id}`)).status, 404);
    const unknownProduct = await api.post('/v1/faq', { question: 'X?', answer: 'Y', productId: 'prod_00000000000000000000000000' });
    assert.equal(unknownProduct.status, 404);
  });
  test('FAQ lists as {data, nextCursor} pages in position order; the cursor keeps the order across pages', async () => {
    const api = ctx.api;
    const asked: string[] = [];
    // Positions out of creation order, two sharing one: the order is position, then id.
    for (const [question, position] of [['Third?', 30], ['First?', 10], ['Second a?', 20], ['Second b?', 20], ['Fourth?', 40]] as const) {
      const res = await api.post('/v1/faq', { question, answer: 'Yes.', position: 1_000 + position });
      assert.equal(res.status, 201, res.raw);
      asked.push(question);
    }
    const questions: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await api.get(`/v1/faq?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, res.raw);
      assert.deepEqual(Object.keys(res.body).sort(), ['data', 'nextCursor']);
      assert.ok(res.body.data.length <= 2);
      questions.push(...res.body.data.map((e: any) => e.question));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    const mine = questions.filter((q) => asked.includes(q));
    assert.deepEqual(mine, ['First?', 'Second a?', 'Second b?', 'Third?', 'Fourth?']);
    assert.equal(new Set(questions).size, questions.length, 'no entry listed twice');
    assert.deepEqual((await api.get('/v1/faq?cursor=not-a-faq-cursor')).body.data, []);
  });
});
