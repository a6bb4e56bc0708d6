import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp, type Client } from '../../testing/harness.js';
import { verifySignature } from '../../testing/signatures.js';
import { renderMarkdown } from '../../lib/markdown.js';
import { entitles, updatesUntil } from './entitlement.js';
import { channelsFor, compareSemver, parseSemver } from './semver.js';

test('release notes render to safe HTML: raw HTML escaped, script links dropped, links without an opener', () => {
  const html = renderMarkdown('## 2.0\n- **faster** export\n\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n\n[docs](https://docs.example.com/2.0) [bad](javascript:alert(1)) [data](data:text/html,hi) [rel](guide/upgrade.md)');
  assert.match(html, /<h2>2\.0<\/h2>/);
  assert.match(html, /<strong>faster<\/strong>/);
  assert.ok(!html.includes('<script'), html);
  assert.ok(!html.includes('<img'), html);
  assert.ok(html.includes('&lt;script&gt;'), 'raw HTML is shown as text');
  assert.ok(!/href="(javascript|data):/i.test(html), html);
  assert.match(html, /<a href="https:\/\/docs\.example\.com\/2\.0" rel="noopener noreferrer nofollow">docs<\/a>/);
  assert.match(html, /<a href="guide\/upgrade\.md"/);
});

test('entitlement rules: features, usable status, and the maintenance cut-off', () => {
  const now = new Date('2027-01-01T00:00:00Z');
  const maintenance = { status: 'expired', features: ['base'], expiresAt: '2026-06-01T00:00:00.000Z', expiryEnds: 'updates' } as const;
  const before = { requirements: ['base'], publishedAt: '2026-05-31T00:00:00.000Z' };
  const after = { requirements: [], publishedAt: '2026-06-02T00:00:00.000Z' };
  assert.equal(updatesUntil(maintenance, now), maintenance.expiresAt);
  assert.equal(entitles(maintenance, before, now), true);
  assert.equal(entitles(maintenance, after, now), false, 'published after the end of maintenance');
  assert.equal(entitles({ ...maintenance, expiryEnds: 'access' }, before, now), false, 'an expired license without the maintenance model');
  assert.equal(entitles({ ...maintenance, status: 'active', expiresAt: '2027-06-01T00:00:00.000Z' }, after, now), true, 'maintenance still running');
  assert.equal(updatesUntil({ ...maintenance, expiresAt: null }, now), null);
  assert.equal(entitles({ ...maintenance, status: 'suspended' }, before, now), false);
  assert.equal(entitles({ ...maintenance, features: [] }, before, now), false, 'a required feature is missing');
});

test('semver: strict parsing and precedence', () => {
  for (const bad of ['1', '1.2', 'v1.2.3', '01.2.3', '1.2.3-', '1.2.3-01', '1.2.3+', '1.2.3.4', ' 1.2.3', '1.2.3-a..b', '']) {
    assert.equal(parseSemver(bad), undefined, bad);
  }
  const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.9.0', '1.10.0', '2.0.0'];
  for (let i = 1; i < ordered.length; i++) {
    assert.ok(compareSemver(parseSemver(ordered[i - 1]!)!, parseSemver(ordered[i]!)!) < 0, `${ordered[i - 1]} < ${ordered[i]}`);
    assert.ok(compareSemver(parseSemver(ordered[i]!)!, parseSemver(ordered[i - 1]!)!) > 0);
  }
  assert.equal(compareSemver(parseSemver('1.0.0+build.1')!, parseSemver('1.0.0+build.2')!), 0, 'build metadata does not order');
  assert.deepEqual(channelsFor('beta'), ['stable', 'rc', 'beta']);
  assert.deepEqual(channelsFor('stable'), ['stable']);
});

forEachDialect('releases and updates', (dialect) => {
  const ctx = useTestApp(dialect);
  const anon = () => client(ctx.t.app, undefined);

  async function release(api: Client, productId: string, version: string, extra: Record<string, unknown> = {}, publish = true) {
    const res = await api.post('/v1/releases', { productId, version, ...extra });
    assert.equal(res.status, 201, res.raw);
    if (!publish) return res.body;
    const published = await api.post(`/v1/releases/${res.body.id}/actions/publish`);
    assert.equal(published.status, 200, published.raw);
    return published.body;
  }
  const check = (body: Record<string, unknown>) => anon().post('/v1/updates/check', body);

  test('staff create, edit, publish, yank and unyank, each audited; bad versions and duplicates are refused', async () => {
    const api = ctx.api;
    const product = await factories.product(api);
    const created = await api.post('/v1/releases', {
      productId: product.id,
      version: '1.0.0',
      notes: '# 1.0.0\n\n- first',
      docLinks: [{ title: 'Guide', url: 'https://docs.example.com/1.0' }],
      videoUrl: 'https://video.example.com/teaser',
      requirements: ['pro'],
    });
    assert.equal(created.status, 201, created.raw);
    const r = created.body;
    assert.deepEqual([r.status, r.channel, r.publishedAt, r.requirements, r.docLinks[0].title, r.videoUrl], ['draft', 'stable', null, ['pro'], 'Guide', 'https://video.example.com/teaser']);

    for (const version of ['1.0', 'v1.0.0', '01.0.0', '1.0.0-']) {
      const bad = await api.post('/v1/releases', { productId: product.id, version });
      assert.deepEqual([bad.status, bad.body.error.code], [400, 'INVALID_VERSION'], version);
    }
    const dup = await api.post('/v1/releases', { productId: product.id, version: '1.0.0' });
    assert.deepEqual([dup.status, dup.body.error.code], [409, 'VERSION_EXISTS']);
    const other = await api.post('/v1/releases', { productId: product.id, version: '1.0.1' });
    assert.equal(other.status, 201);
    const clash = await api.patch(`/v1/releases/${other.body.id}`, { version: '1.0.0' });
    assert.deepEqual([clash.status, clash.body.error.code], [409, 'VERSION_EXISTS']);
    const badEdit = await api.patch(`/v1/releases/${other.body.id}`, { version: 'nope' });
    assert.deepEqual([badEdit.status, badEdit.body.error.code], [400, 'INVALID_VERSION']);
    const renamed = await api.patch(`/v1/releases/${other.body.id}`, { version: '1.0.2' });
    assert.equal(renamed.body.version, '1.0.2', 'a draft may change its version');
    const unknown = await api.post('/v1/releases', { productId: 'prod_missing', version: '1.0.0' });
    assert.equal(unknown.status, 404);

    assert.equal((await api.post(`/v1/releases/${r.id}/actions/yank`)).body.error.code, 'INVALID_TRANSITION', 'a draft cannot be yanked');
    const published = await api.post(`/v1/releases/${r.id}/actions/publish`);
    assert.equal(published.body.status, 'published');
    assert.equal(published.body.publishedAt, ctx.t.clock.now().toISOString());
    assert.equal((await api.post(`/v1/releases/${r.id}/actions/publish`)).status, 409, 'published once');
    const locked = await api.patch(`/v1/releases/${r.id}`, { version: '1.0.5' });
    assert.deepEqual([locked.status, locked.body.error.code], [409, 'INVALID_TRANSITION'], 'a published release keeps its version');
    assert.equal((await api.patch(`/v1/releases/${r.id}`, { notes: 'fixed typo' })).body.notes, 'fixed typo');
    const yanked = await api.post(`/v1/releases/${r.id}/actions/yank`, { reason: 'data loss bug' });
    assert.deepEqual([yanked.body.status, yanked.body.yankReason], ['yanked', 'data loss bug']);
    const restored = await api.post(`/v1/releases/${r.id}/actions/unyank`);
    assert.deepEqual([restored.body.status, restored.body.yankReason, restored.body.yankedAt], ['published', null, null]);

    const events = await api.get(`/v1/events?targetId=${r.id}`);
    assert.deepEqual(
      events.body.data.map((e: any) => e.action).sort(),
      ['release.created', 'release.published', 'release.unyanked', 'release.updated', 'release.yanked'],
    );

    const listed = await api.get(`/v1/releases?productId=${product.id}&status=draft`);
    assert.deepEqual(listed.body.data.map((x: any) => x.version), ['1.0.2']);
    assert.equal((await api.get(`/v1/releases/${r.id}`)).body.version, '1.0.0');
  });

  test('ten concurrent creates of one version: exactly one is created, the others are 409 VERSION_EXISTS', async () => {
    const product = await factories.product(ctx.api);
    const answers = await Promise.all(Array.from({ length: 10 }, () => ctx.api.post('/v1/releases', { productId: product.id, version: '3.0.0' })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, ...Array(9).fill(409)], answers.map((a) => a.raw).join('\n'));
    assert.ok(answers.filter((a) => a.status === 409).every((a) => a.body.error.code === 'VERSION_EXISTS'));
    assert.equal((await ctx.api.get(`/v1/releases?productId=${product.id}`)).body.data.length, 1);
  });

  test('listing by channel returns that channel and the more stable ones', async () => {
    const api = ctx.api;
    const product = await factories.product(api);
    for (const [version, channel] of [['1.0.0', 'stable'], ['1.1.0-rc.1', 'rc'], ['1.1.0-beta.1', 'beta'], ['1.1.0-alpha.1', 'alpha'], ['1.1.0-dev.1', 'dev']] as const) {
      await release(api, product.id, version, { channel });
    }
    const list = async (channel: string) => (await api.get(`/v1/releases?productId=${product.id}&channel=${channel}`)).body.data.map((x: any) => x.channel).sort();
    assert.deepEqual(await list('stable'), ['stable']);
    assert.deepEqual(await list('beta'), ['beta', 'rc', 'stable']);
    assert.deepEqual(await list('dev'), ['alpha', 'beta', 'dev', 'rc', 'stable']);
  });

  test('checkForUpdate: newest entitled release by semver and channel, signed, with the nonce; yank rolls back', async () => {
    const api = ctx.api;
    const { product, license } = await factories.world(api, { features: ['base'] });
    for (const [version, channel] of [['1.2.0', 'stable'], ['1.9.0', 'stable'], ['1.10.0', 'stable'], ['1.11.0-rc.1', 'rc'], ['1.11.0-beta.2', 'beta'], ['2.0.0-alpha.1', 'alpha']] as const) {
      await release(api, product.id, version, { channel });
    }
    const draft = await release(api, product.id, '9.0.0', {}, false);
    assert.equal(draft.status, 'draft');

    const pub = (await anon().get('/v1/public-key')).body.publicKey as string;
    const stable = await check({ key: license.key, product: product.code, version: '1.2.0', nonce: 'n-upd' });
    assert.equal(stable.status, 200, stable.raw);
    assert.deepEqual([stable.body.updateAvailable, stable.body.code, stable.body.release.version, stable.body.nonce], [true, 'VALID', '1.10.0', 'n-upd'], '1.10.0 > 1.9.0; drafts never offered');
    assert.ok(verifySignature(pub, stable, 'POST', '/v1/updates/check', 'n-upd'), 'the answer is signed');
    assert.equal(verifySignature(pub, { ...stable, raw: stable.raw.replace('1.10.0', '1.90.0') }, 'POST', '/v1/updates/check', 'n-upd'), false, 'a tampered answer fails');

    const version = async (channel: string, current = '1.2.0') => (await check({ key: license.key, product: product.id, version: current, channel })).body.release?.version;
    assert.equal(await version('rc'), '1.11.0-rc.1');
    assert.equal(await version('beta'), '1.11.0-rc.1', 'rc outranks beta of the same version');
    assert.equal(await version('alpha'), '2.0.0-alpha.1');
    assert.equal(await version('dev'), '2.0.0-alpha.1', 'dev includes every more stable channel');
    const upToDate = await check({ key: license.key, product: product.id, version: '1.10.0' });
    assert.deepEqual([upToDate.body.updateAvailable, upToDate.body.release], [false, undefined]);
    assert.equal(await version('rc', '1.11.0-beta.2'), '1.11.0-rc.1', 'a pre-release is below its release candidates');
    assert.equal(await version('stable', '1.11.0-rc.1'), undefined, '1.10.0 is older than 1.11.0-rc.1');

    // Yank the newest stable: the previous one is offered again; unyank restores it.
    const newest = (await api.get(`/v1/releases?productId=${product.id}&status=published`)).body.data.find((x: any) => x.version === '1.10.0');
    await api.post(`/v1/releases/${newest.id}/actions/yank`, { reason: 'broken' });
    assert.equal(await version('stable'), '1.9.0');
    await api.post(`/v1/releases/${newest.id}/actions/unyank`);
    assert.equal(await version('stable'), '1.10.0');

    const bad = await check({ key: license.key, product: product.id, version: 'latest' });
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'INVALID_VERSION']);
  });

  test('entitlement: required features, product, license status', async () => {
    const api = ctx.api;
    const { product, policy, license } = await factories.world(api, { features: ['base'] });
    await release(api, product.id, '1.0.0');
    await release(api, product.id, '1.1.0', { requirements: ['pro'] });
    const pro = await factories.license(api, policy.id, { features: ['base', 'pro'] });
    const offered = async (key: string) => (await check({ key, product: product.id, version: '0.9.0' })).body;
    assert.equal((await offered(license.key)).release.version, '1.0.0', 'without "pro" the gated 1.1.0 is not offered');
    assert.equal((await offered(pro.key)).release.version, '1.1.0');

    const otherProduct = await factories.product(api);
    await release(api, otherProduct.id, '5.0.0');
    const mismatch = await check({ key: license.key, product: otherProduct.id, version: '0.1.0' });
    assert.deepEqual([mismatch.status, mismatch.body.updateAvailable, mismatch.body.code, mismatch.body.release], [200, false, 'PRODUCT_MISMATCH', undefined]);

    await api.post(`/v1/licenses/${pro.id}/actions/suspend`);
    assert.deepEqual([(await offered(pro.key)).updateAvailable, (await offered(pro.key)).code], [false, 'SUSPENDED']);
    const unknown = await check({ key: '00000-00000-00000-00000-00000-00000', product: product.id, version: '0.1.0' });
    assert.deepEqual([unknown.status, unknown.body.updateAvailable, unknown.body.code], [200, false, 'NOT_FOUND']);
  });

  test('customers see only published releases of products they hold a license for', async () => {
    const api = ctx.api;
    const mine = await factories.world(api);
    const theirs = await factories.world(api);
    const shown = await release(api, mine.product.id, '1.0.0');
    const draft = await release(api, mine.product.id, '1.1.0', {}, false);
    const yanked = await release(api, mine.product.id, '0.9.0');
    await api.post(`/v1/releases/${yanked.id}/actions/yank`);
    const foreign = await release(api, theirs.product.id, '3.0.0');

    const member = await factories.signedInUser(api, ctx.t.app, 'customer-member', mine.customer.id);
    const me = client(ctx.t.app, member.token);
    const listed = await me.get('/v1/releases');
    assert.equal(listed.status, 200, listed.raw);
    assert.deepEqual(listed.body.data.map((x: any) => x.id), [shown.id]);
    assert.deepEqual((await me.get(`/v1/releases?productId=${theirs.product.id}`)).body.data, []);
    assert.equal((await me.get(`/v1/releases/${shown.id}`)).status, 200);
    for (const hidden of [draft, yanked, foreign]) assert.equal((await me.get(`/v1/releases/${hidden.id}`)).status, 404);
    assert.equal((await me.post('/v1/releases', { productId: mine.product.id, version: '4.0.0' })).status, 403);
    assert.equal((await me.post(`/v1/releases/${shown.id}/actions/yank`)).status, 403);
    const support = await factories.signedInUser(api, ctx.t.app, 'support');
    assert.equal((await client(ctx.t.app, support.token).get(`/v1/releases/${draft.id}`)).status, 200, 'staff read drafts');
    assert.equal((await client(ctx.t.app, support.token).post(`/v1/releases/${draft.id}/actions/publish`)).status, 403, 'support may not publish');
  });
});
