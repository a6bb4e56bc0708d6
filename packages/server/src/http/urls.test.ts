import assert from 'node:assert/strict';
import { test } from 'node:test';
import { factories, forEachDialect, useTestApp, type Answer, type Client } from '../testing/harness.js';
import { HTTP_URL_PATTERN } from './schemas.js';

const HOSTILE = ['javascript:alert(document.cookie)', 'JavaScript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)', 'file:///etc/passwd', 'ftp://example.com/x', '//evil.example/x', 'https:alert(1)'];

forEachDialect('URL fields take only http(s)', (dialect) => {
  const ctx = useTestApp(dialect);

  /** Each URL field a caller can write, as one request with the URL put in its place. */
  async function writers(api: Client) {
    const { product, policy, license } = await factories.world(api);
    const release = (await api.post('/v1/releases', { productId: product.id, version: '1.0.0' })).body;
    let order = 0;
    return {
      'product url': (url: string) => api.patch(`/v1/products/${product.id}`, { url }),
      'new product url': (url: string) => api.post('/v1/products', { name: `P ${order++}`, url }),
      'release doc link': (url: string) => api.patch(`/v1/releases/${release.id}`, { docLinks: [{ title: 'Guide', url }] }),
      'release video': (url: string) => api.patch(`/v1/releases/${release.id}`, { videoUrl: url }),
      'new release video': (url: string) => api.post('/v1/releases', { productId: product.id, version: `2.0.${order++}`, videoUrl: url }),
      'license invoice link': (url: string) => api.patch(`/v1/licenses/${license.id}`, { billing: { invoiceLinks: [url] } }),
      'order invoice': (url: string) =>
        api.post('/v1/orders', { externalId: `o-${order++}`, customer: { email: `buyer${order}@example.com` }, items: [{ policyId: policy.id }], billing: { invoiceUrl: url } }),
      'webhook endpoint': (url: string) => api.post('/v1/webhook-endpoints', { url, events: ['*'] }),
    } as Record<string, (url: string) => Promise<Answer>>;
  }

  test('javascript:, data:, vbscript: and other schemes are 400 VALIDATION_FAILED naming the field; https is accepted', async () => {
    const fields = await writers(ctx.api);
    for (const [name, write] of Object.entries(fields)) {
      for (const url of HOSTILE) {
        const res = await write(url);
        assert.equal(res.status, 400, `${name} ${url}: ${res.raw}`);
        assert.equal(res.body.error.code, 'VALIDATION_FAILED');
        assert.ok(Object.values(res.body.error.details.fields).some((m) => /http/.test(String(m)) || /format/.test(String(m))), `${name} ${url}: ${res.raw}`);
      }
    }
    // The non-webhook fields accept an ordinary https link (webhooks add their address policy on top).
    for (const [name, write] of Object.entries(fields)) {
      if (name === 'webhook endpoint') continue;
      const res = await write('https://docs.example.com/guide?x=1#top');
      assert.ok(res.status === 200 || res.status === 201, `${name}: ${res.raw}`);
    }
  });

  test('every format: uri in a request schema is an http(s) URL (new fields cannot forget it)', async () => {
    const doc = (await ctx.api.get('/openapi.json')).body;
    const found: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (Array.isArray(node)) return node.forEach((child, i) => walk(child, `${where}[${i}]`));
      if (node === null || typeof node !== 'object') return;
      const schema = node as Record<string, unknown>;
      if (schema.format === 'uri') {
        found.push(where);
        assert.equal(schema.pattern, HTTP_URL_PATTERN, `${where} accepts any scheme`);
      }
      for (const [key, child] of Object.entries(schema)) if (key !== 'responses') walk(child, `${where}.${key}`);
    };
    walk(doc.paths, 'paths');
    assert.ok(found.length >= 6, `URL fields found: ${found.join(', ')}`);
  });
});
