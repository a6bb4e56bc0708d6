import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkWebhookUrl, refusedAddress } from './address-policy.js';
import { subscribes } from './catalogue.js';
import { computeWebhookSignature, parseWebhookSignatureHeader, verifyWebhookSignature, webhookSignatureHeader } from './signature.js';

test('address policy: link-local, unspecified and multicast always refused; loopback and private only when allowed', () => {
  for (const ip of ['169.254.169.254', '0.0.0.0', '224.0.0.251', '255.255.255.255', '::', 'fe80::1', 'ff02::1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe']) {
    assert.ok(refusedAddress(ip, true), ip);
  }
  for (const ip of ['127.0.0.1', '127.9.9.9', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '100.64.0.1', '::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1']) {
    assert.equal(refusedAddress(ip, true), undefined, ip);
    assert.ok(refusedAddress(ip, false), ip);
  }
  for (const ip of ['93.184.216.34', '172.32.0.1', '8.8.8.8', '2606:4700::1111']) assert.equal(refusedAddress(ip, false), undefined, ip);
});

test('webhook URLs: http(s) only, no credentials or fragment, normalized', () => {
  assert.deepEqual(checkWebhookUrl('HTTPS://Hooks.Example.com:443/a?b=1', false), { ok: true, url: 'https://hooks.example.com/a?b=1' });
  assert.deepEqual(checkWebhookUrl('http://127.0.0.1:3000/hook', true), { ok: true, url: 'http://127.0.0.1:3000/hook' });
  for (const [url, reason] of [
    ['ftp://example.com/', /http:\/\/ or https:\/\//],
    ['file:///etc/passwd', /http:\/\/ or https:\/\//],
    ['https://a:b@example.com/', /credentials/],
    ['https://a@example.com/', /credentials/],
    ['https://example.com/#x', /fragment/],
    ['http://[fe80::1%25eth0]/', /./],
    ['http://0x7f.1/', /loopback/],
    ['http://localhost/', /localhost/],
    ['http://LOCALHOST./', /localhost/],
    ['nonsense', /not a valid URL/],
  ] as const) {
    const checked = checkWebhookUrl(url, false);
    assert.equal(checked.ok, false, url);
    if (!checked.ok) assert.match(checked.reason, reason, url);
  }
});

test('subscriptions match exact types, prefixes and everything', () => {
  assert.ok(subscribes(['*'], 'license.created'));
  assert.ok(subscribes(['license.*'], 'license.created'));
  assert.ok(!subscribes(['license.*'], 'licenses.created'));
  assert.ok(!subscribes(['license.*'], 'license'));
  assert.ok(subscribes(['customer.created', 'license.revoked'], 'license.revoked'));
  assert.ok(!subscribes(['license.revoked'], 'license.revoked_again'));
  assert.ok(!subscribes([], 'license.created'));
});

test('signatures: Stripe scheme, several v1, tolerance, malformed headers', () => {
  const body = '{"id":"evt_1","type":"ping"}';
  const t = 1_780_000_000;
  // A fixed vector, from: printf '1780000000.<body>' | openssl dgst -sha256 -hmac whsec_test
  const expected = '73636a6e2a09178e60cbf49aeec534d0b79863f4054b8fa9eed0284512d3456b';
  assert.equal(computeWebhookSignature('whsec_test', t, body), expected);
  assert.equal(computeWebhookSignature('whsec_test', t, Buffer.from(body)), expected);
  assert.equal(webhookSignatureHeader(['whsec_test'], t, body), `t=${t},v1=${expected}`);
  const header = webhookSignatureHeader(['whsec_new', 'whsec_old'], t, body);
  assert.match(header, /^t=1780000000,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
  assert.deepEqual(parseWebhookSignatureHeader(header)?.signatures.length, 2);
  for (const secret of ['whsec_new', 'whsec_old']) assert.ok(verifyWebhookSignature(secret, header, body, 300, t * 1000));
  assert.ok(!verifyWebhookSignature('whsec_other', header, body, 300, t * 1000));
  assert.ok(verifyWebhookSignature('whsec_new', header, body, 300, (t + 300) * 1000));
  assert.ok(!verifyWebhookSignature('whsec_new', header, body, 300, (t + 301) * 1000));
  assert.ok(!verifyWebhookSignature('whsec_new', header, body, 300, (t - 301) * 1000), 'from the future');
  // Unknown schemes are ignored; a header without a v1 or a timestamp, or with two timestamps, is refused.
  assert.ok(verifyWebhookSignature('whsec_new', `v0=abc,${header}`, body, 300, t * 1000));
  for (const bad of ['', 't=1780000000', `v1=${'a'.repeat(64)}`, `t=x,v1=${'a'.repeat(64)}`, `t=1,t=2,v1=${'a'.repeat(64)}`, 'garbage']) {
    assert.equal(parseWebhookSignatureHeader(bad), undefined, bad);
    assert.ok(!verifyWebhookSignature('whsec_new', bad, body, 300, t * 1000));
  }
});
