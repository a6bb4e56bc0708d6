import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ADMIN_TOKEN, client, factories, forEachDialect, startTestApp, type TestApp } from '../testing/harness.js';
import { redactSecrets } from './logging.js';

test('redactSecrets: secret query values and unsubscribe tokens go, everything else stays', () => {
  const cases: Array<[string, string]> = [
    ['/set-password?token=khpw_abc123', '/set-password?token=[REDACTED]'],
    ['/v1/licenses/lookup?key=F2A65-VPQAS-871CH&x=1', '/v1/licenses/lookup?key=[REDACTED]&x=1'],
    ['/v1/downloads/art_1?e=17&t=license&l=lic_2&s=deadbeef', '/v1/downloads/art_1?e=17&t=license&l=lic_2&s=[REDACTED]'],
    ['/v1/x?%74oken=hidden&TOKEN=also&Key=k', '/v1/x?%74oken=[REDACTED]&TOKEN=[REDACTED]&Key=[REDACTED]'],
    ['/v1/mail/unsubscribe/Zm9v.abcdef?x=1', '/v1/mail/unsubscribe/[REDACTED]?x=1'],
    ['{"url":"/a?signature=xyz","msg":"GET /b?secret=q#frag"}', '{"url":"/a?signature=[REDACTED]","msg":"GET /b?secret=[REDACTED]#frag"}'],
    ['/v1/licenses?q=1QX3C&status=active&keys=9', '/v1/licenses?q=1QX3C&status=active&keys=9'],
    ['no url here', 'no url here'],
  ];
  for (const [input, expected] of cases) assert.equal(redactSecrets(input), expected, input);
});

forEachDialect('no secret from a URL reaches the log', (dialect) => {
  const lines: string[] = [];
  let t: TestApp;
  let webDir: string;
  before(async () => {
    webDir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-web-'));
    mkdirSync(path.join(webDir, 'assets'));
    writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>Keyhaven</title><div id="root"></div>');
    t = await startTestApp(dialect, { webDir, logger: { level: 'debug', stream: { write: (line: string) => void lines.push(line) } } });
  });
  after(async () => {
    await t?.close();
    rmSync(webDir, { recursive: true, force: true });
  });

  test('set-password tokens, license keys, download HMACs and unsubscribe tokens are redacted in request, error and child-logger lines', async () => {
    const api = client(t.app);
    const { product, license } = await factories.world(api);
    const rel = (await api.post('/v1/releases', { productId: product.id, version: '1.0.0' })).body;
    await api.post(`/v1/releases/${rel.id}/actions/publish`);
    const art = await t.app.inject({
      method: 'PUT',
      url: `/v1/releases/${rel.id}/artifacts?platform=linux&arch=x64&fileType=zip&fileName=app.zip`,
      payload: Buffer.from('bytes'),
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/octet-stream' },
    });
    assert.equal(art.statusCode, 201, art.body);
    const link = new URL((await client(t.app, undefined).post(`/v1/artifacts/${JSON.parse(art.body).id}/download-link/by-key`, { key: license.key })).body.url);
    const hmac = link.searchParams.get('s')!;
    const unsubscribe = new URL(t.services.mailPreferences.unsubscribeUrl('buyer@example.com', 'reminders'));
    const unsubscribeToken = unsubscribe.pathname.split('/').pop()!;
    const passwordToken = 'khpw_SeCrEtPaSsWoRdToKeN0123456789';

    lines.length = 0;
    const html = { accept: 'text/html' };
    assert.equal((await t.app.inject({ method: 'GET', url: `/set-password?token=${passwordToken}&from=mail`, headers: html })).statusCode, 200);
    await t.app.inject({ method: 'GET', url: `/v1/licenses/lookup?key=${encodeURIComponent(license.key)}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal((await t.app.inject({ method: 'GET', url: link.pathname + link.search })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: unsubscribe.pathname })).statusCode, 200);
    // A name spelled with a percent-escape is still the same parameter to the server.
    await t.app.inject({ method: 'GET', url: `/v1/no-such-route?%74oken=${passwordToken}`, headers: { accept: 'application/json' } });
    // Lines written outside the request log: the app's logger and a child of it, with the secret in the message and in a field.
    t.app.log.error({ url: `/set-password?token=${passwordToken}` }, `mail link ${unsubscribe.href} failed`);
    t.app.log.child({ job: 'x' }).warn(`retrying ${link.href}`);

    const log = lines.join('');
    for (const secret of [passwordToken, license.key, encodeURIComponent(license.key), hmac, unsubscribeToken]) {
      assert.ok(!log.includes(secret), `the log shows ${secret}`);
    }
    // What is not secret stays readable: routes, ids, expiry, holder type.
    assert.match(log, /"url":"\/set-password\?token=\[REDACTED\]&from=mail"/);
    assert.match(log, /\/v1\/licenses\/lookup\?key=\[REDACTED\]/);
    assert.ok(log.includes(`${link.pathname}?e=${link.searchParams.get('e')}&t=license`), 'download path, expiry and holder type stay');
    assert.ok(log.includes('/v1/mail/unsubscribe/[REDACTED]'));
    assert.match(log, /"job":"x"/);
    assert.ok(lines.length >= 10, 'the request log was written');
  });
});
