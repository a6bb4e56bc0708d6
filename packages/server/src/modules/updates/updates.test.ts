import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { ADMIN_TOKEN, client, factories, forEachDialect, useTestApp, type Client } from '../../testing/harness.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

forEachDialect('update check: platforms, artifact links, maintenance licenses, custom products, notices', (dialect) => {
  const ctx = useTestApp(dialect);
  const anon = () => client(ctx.t.app, undefined);
  const check = (body: Record<string, unknown>) => anon().post('/v1/updates/check', body);

  async function release(api: Client, productId: string, version: string, extra: Record<string, unknown> = {}, publish = true) {
    const res = await api.post('/v1/releases', { productId, version, ...extra });
    assert.equal(res.status, 201, res.raw);
    if (publish) assert.equal((await api.post(`/v1/releases/${res.body.id}/actions/publish`)).status, 200);
    return res.body;
  }

  async function upload(releaseId: string, platform: string, arch: string, data: Buffer) {
    const qs = new URLSearchParams({ platform, arch, fileType: 'zip', fileName: `app-${platform}-${arch}.zip` });
    const res = await ctx.t.app.inject({
      method: 'PUT',
      url: `/v1/releases/${releaseId}/artifacts?${qs}`,
      payload: data,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/octet-stream' },
    });
    assert.equal(res.statusCode, 201, res.body);
    return JSON.parse(res.body);
  }

  const download = async (url: string) => {
    const parsed = new URL(url);
    return ctx.t.app.inject({ method: 'GET', url: parsed.pathname + parsed.search });
  };

  test('platform and arch choose the newest release with a file for them; the answer carries notes HTML and signed links', async () => {
    const api = ctx.api;
    const { product, license } = await factories.world(api);
    const r110 = await release(api, product.id, '1.1.0', { notes: '## 1.1\n<b>bold</b>' });
    const linux = Buffer.from('linux build 1.1.0');
    await upload(r110.id, 'linux', 'x64', linux);
    await upload(r110.id, 'windows', 'x64', Buffer.from('windows build 1.1.0'));
    const r120 = await release(api, product.id, '1.2.0');
    await upload(r120.id, 'windows', 'x64', Buffer.from('windows build 1.2.0'));
    const r130 = await release(api, product.id, '1.3.0');
    await upload(r130.id, 'any', 'any', Buffer.from('portable jar 1.3.0'));
    await release(api, product.id, '1.4.0');

    const offer = async (platform?: string, arch?: string) =>
      (await check({ key: license.key, product: product.code, version: '1.0.0', ...(platform ? { platform } : {}), ...(arch ? { arch } : {}) })).body;
    const all = await offer();
    assert.deepEqual([all.release.version, all.release.artifacts], ['1.4.0', []], 'without a platform the newest release, even without files');

    // 1.3.0's portable build serves every platform; hide it to see the per-platform choice.
    const hide = await api.post(`/v1/releases/${r130.id}/actions/yank`, { reason: 'test' });
    assert.equal(hide.status, 200);
    const forLinux = await offer('linux', 'x64');
    assert.equal(forLinux.release.version, '1.1.0', '1.2.0 has no linux file');
    assert.deepEqual(forLinux.release.artifacts.map((a: any) => [a.platform, a.arch]), [['linux', 'x64']]);
    assert.match(forLinux.release.notesHtml, /<h2>1\.1<\/h2>/);
    assert.ok(forLinux.release.notesHtml.includes('&lt;b&gt;bold&lt;/b&gt;'), 'raw HTML escaped');
    assert.equal((await offer('windows', 'x64')).release.version, '1.2.0');
    assert.equal((await offer('windows', 'arm64')).updateAvailable, false, 'no arm64 file anywhere');
    assert.equal((await offer('Linux', 'X64')).release.version, '1.1.0', 'names compare case-insensitively');

    const file = await download(forLinux.release.artifacts[0].url);
    assert.equal(file.statusCode, 200);
    assert.ok(file.rawPayload.equals(linux), 'the offered link serves the file');
    assert.equal(file.headers['x-checksum-sha256'], sha(linux));

    await api.post(`/v1/releases/${r130.id}/actions/unyank`);
    const portable = await offer('macos', 'arm64');
    assert.deepEqual([portable.release.version, portable.release.artifacts[0].platform], ['1.3.0', 'any'], 'an "any" file serves every platform and arch');
  });

  test('maintenance model: an expired license keeps validating and is offered only releases published before its expiry', async () => {
    const api = ctx.api;
    const clock = ctx.t.clock;
    const product = await factories.product(api);
    const policy = await factories.policy(api, product.id, 'timed', { expiryEnds: 'updates', features: ['base'] });
    assert.equal(policy.expiryEnds, 'updates');
    const access = await factories.policy(api, product.id, 'timed', { features: ['base'] });
    assert.equal(access.expiryEnds, 'access', 'the default: the expiry ends use');
    const customer = await factories.customer(api);
    const expiresAt = new Date(clock.now().getTime() + 10 * 86_400_000).toISOString();
    const license = await factories.license(api, policy.id, { customerId: customer.id, expiresAt });
    const plain = await factories.license(api, access.id, { customerId: customer.id, expiresAt });

    const r1 = await release(api, product.id, '1.0.0');
    const old = Buffer.from('1.0.0 build');
    const oldArtifact = await upload(r1.id, 'linux', 'x64', old);
    clock.advanceDays(20);
    const r2 = await release(api, product.id, '2.0.0');
    const newArtifact = await upload(r2.id, 'linux', 'x64', Buffer.from('2.0.0 build'));

    const validation = await anon().post('/v1/licenses/validate', { key: license.key });
    assert.deepEqual([validation.body.valid, validation.body.code, validation.body.license.status, validation.body.license.expiryEnds], [true, 'MAINTENANCE_EXPIRED', 'expired', 'updates']);
    const offered = await check({ key: license.key, product: product.id, version: '0.9.0', platform: 'linux' });
    assert.deepEqual([offered.body.updateAvailable, offered.body.code, offered.body.release.version], [true, 'MAINTENANCE_EXPIRED', '1.0.0'], '2.0.0 came out after maintenance ended');
    assert.equal((await check({ key: license.key, product: product.id, version: '1.0.0' })).body.updateAvailable, false);

    const expired = await check({ key: plain.key, product: product.id, version: '0.9.0' });
    assert.deepEqual([expired.body.updateAvailable, expired.body.code], [false, 'EXPIRED']);

    // Downloads follow the same rule, by key and for the customer's users.
    const byKey = (artifactId: string, key: string) => anon().post(`/v1/artifacts/${artifactId}/download-link/by-key`, { key });
    assert.equal((await byKey(oldArtifact.id, license.key)).status, 200);
    const refused = await byKey(newArtifact.id, license.key);
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'NOT_ENTITLED']);
    assert.equal((await byKey(oldArtifact.id, plain.key)).status, 403, 'an expired license without maintenance downloads nothing');
    const member = await factories.signedInUser(api, ctx.t.app, 'customer-member', customer.id);
    const me = client(ctx.t.app, member.token);
    const link = await me.post(`/v1/artifacts/${oldArtifact.id}/download-link`);
    assert.equal(link.status, 200, link.raw);
    assert.ok((await download(link.body.url)).rawPayload.equals(old));
    assert.deepEqual((await me.post(`/v1/artifacts/${newArtifact.id}/download-link`)).body.error.code, 'NOT_ENTITLED');

    // Renewing the maintenance brings the newer release back.
    const renewed = await api.patch(`/v1/licenses/${license.id}`, { expiresAt: new Date(clock.now().getTime() + 365 * 86_400_000).toISOString() });
    assert.equal(renewed.status, 200, renewed.raw);
    assert.equal((await check({ key: license.key, product: product.id, version: '0.9.0' })).body.release.version, '2.0.0');
    assert.equal((await byKey(newArtifact.id, license.key)).status, 200);
  });

  test('custom products: only the customers they are made for see them, their releases and their licenses', async () => {
    const api = ctx.api;
    const ours = await factories.customer(api);
    const other = await factories.customer(api);
    const custom = await factories.product(api, { customerIds: [ours.id] });
    assert.deepEqual(custom.customerIds, [ours.id]);
    const policy = await factories.policy(api, custom.id);
    const rel = await release(api, custom.id, '1.0.0', { notes: 'Custom build for you' });

    const refused = await api.post('/v1/licenses', { policyId: policy.id, customerId: other.id });
    assert.deepEqual([refused.status, refused.body.error.code], [422, 'CUSTOM_PRODUCT']);
    assert.equal((await api.post('/v1/licenses', { policyId: policy.id })).body.error.code, 'CUSTOM_PRODUCT', 'a custom product has no anonymous licenses');
    const unknown = await factories.product(api, {}).then((p) => api.patch(`/v1/products/${p.id}`, { customerIds: ['cus_00000000000000000000000000'] }));
    assert.deepEqual([unknown.status, unknown.body.error.code], [422, 'REFERENCE_NOT_FOUND']);

    // The customer it is made for sees it before any license exists; others never do.
    const mine = client(ctx.t.app, (await factories.signedInUser(api, ctx.t.app, 'customer-member', ours.id)).token);
    const theirs = client(ctx.t.app, (await factories.signedInUser(api, ctx.t.app, 'customer-member', other.id)).token);
    assert.equal((await mine.get(`/v1/products/${custom.id}`)).status, 200);
    assert.deepEqual((await mine.get('/v1/releases')).body.data.map((r: any) => r.id), [rel.id]);
    assert.equal((await theirs.get(`/v1/products/${custom.id}`)).status, 404);
    assert.equal((await theirs.get(`/v1/releases/${rel.id}`)).status, 404);

    const license = await factories.license(api, policy.id, { customerId: ours.id });
    assert.equal((await check({ key: license.key, product: custom.code, version: '0.1.0' })).body.release.version, '1.0.0');

    // A public product the other customer licenses, made custom later, disappears from its view.
    const later = await factories.world(api);
    const laterMember = client(ctx.t.app, (await factories.signedInUser(api, ctx.t.app, 'customer-member', later.customer.id)).token);
    assert.equal((await laterMember.get(`/v1/products/${later.product.id}`)).status, 200);
    assert.equal((await api.patch(`/v1/products/${later.product.id}`, { customerIds: [ours.id] })).status, 200);
    assert.equal((await laterMember.get(`/v1/products/${later.product.id}`)).status, 404);
  });

  test('the notices feed tells an app about the release it can update to', async () => {
    const api = ctx.api;
    const { product, license } = await factories.world(api, { features: ['base'] });
    await release(api, product.id, '1.0.0');
    await release(api, product.id, '1.5.0', { docLinks: [{ title: 'What is new', url: 'https://docs.example.com/1.5' }] });
    await release(api, product.id, '2.0.0', { requirements: ['pro'] });
    const feed = await anon().post('/v1/notices', { key: license.key, version: '1.0.0' });
    assert.equal(feed.status, 200, feed.raw);
    const notice = feed.body.notices.find((n: any) => n.code === 'NEW_RELEASE');
    assert.ok(notice, feed.raw);
    assert.deepEqual([notice.title, notice.url, notice.severity], ['Version 1.5.0 is available', 'https://docs.example.com/1.5', 'info'], '2.0.0 needs a feature the license lacks');
    const current = await anon().post('/v1/notices', { key: license.key, version: '1.5.0' });
    assert.equal(current.body.notices.filter((n: any) => n.code === 'NEW_RELEASE').length, 0);
    const noVersion = await anon().post('/v1/notices', { key: license.key });
    assert.equal(noVersion.body.notices.filter((n: any) => n.code === 'NEW_RELEASE').length, 0, 'no version reported, nothing to compare');
  });
});
