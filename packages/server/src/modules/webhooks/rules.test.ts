import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LookupAddress } from 'node:dns';
import { checkWebhookUrl, embeddedIpv4, refusedAddress } from './address-policy.js';
import { subscribes } from './catalogue.js';
import { guardedLookup } from './sender.js';
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

/** IPv6 spellings of blocked IPv4 ranges, and the AWS IPv6 metadata address: refused even with private addresses allowed. */
const METADATA_IN_IPV6 = [
  '::a9fe:a9fe', // IPv4-compatible 169.254.169.254
  '::169.254.169.254',
  '::ffff:0:a9fe:a9fe', // IPv4-translated
  '64:ff9b::a9fe:a9fe', // NAT64
  '64:ff9b::169.254.169.254',
  '2002:a9fe:a9fe::1', // 6to4
  '2002:a9fe:a9fe:1234:5678:9abc:def0:1',
  'fd00:ec2::254', // AWS IMDS over IPv6
  'FD00:EC2:0:0:0:0:0:254',
  '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo: the client address is hidden by XOR
];
/** IPv6 spellings of loopback and private IPv4 ranges: refused unless private addresses are allowed. */
const PRIVATE_IN_IPV6 = ['::7f00:1', '::127.0.0.1', '::a00:1', '64:ff9b::7f00:1', '64:ff9b::10.0.0.1', '64:ff9b::192.168.1.1', '2002:7f00:1::', '2002:c0a8:101::1', '2002:0a00:0001::', '::ffff:0:7f00:1', '64:ff9b:1::1'];

test('address policy: IPv6 forms that carry blocked IPv4 ranges, and fd00:ec2::254', () => {
  for (const ip of METADATA_IN_IPV6) {
    assert.ok(refusedAddress(ip, true), `${ip} must be refused even with private addresses allowed`);
    assert.ok(refusedAddress(ip, false), ip);
  }
  for (const ip of PRIVATE_IN_IPV6) {
    assert.ok(refusedAddress(ip, false), `${ip} must be refused with private addresses off`);
  }
  // A NAT64 or 6to4 address of a public host is an ordinary address.
  for (const ip of ['64:ff9b::5db8:d822', '64:ff9b::93.184.216.34', '2002:5db8:d822::1', '::ffff:8.8.8.8', '2a00:1450:4001:80b::200e']) {
    assert.equal(refusedAddress(ip, false), undefined, ip);
  }
  assert.deepEqual(
    ['::a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', '::ffff:7f00:1', '::ffff:0:7f00:1', '::1', '::', '2606:4700::1111'].map(embeddedIpv4),
    ['169.254.169.254', '169.254.169.254', '169.254.169.254', '127.0.0.1', '127.0.0.1', undefined, undefined, undefined],
  );
  // When an endpoint is saved with a literal address.
  for (const ip of METADATA_IN_IPV6) assert.equal(checkWebhookUrl(`http://[${ip}]:8080/hook`, true).ok, false, `saving http://[${ip}]/`);
  for (const ip of PRIVATE_IN_IPV6) assert.equal(checkWebhookUrl(`http://[${ip}]:8080/hook`, false).ok, false, `saving http://[${ip}]/`);
});

test('delivery: a DNS answer in any of these forms is refused before connecting', async () => {
  const lookupWith = (answers: LookupAddress[], allowPrivate: boolean) =>
    new Promise<unknown>((resolve) => {
      const lookup = guardedLookup(allowPrivate, (_host, _options, callback) => callback(null, answers));
      (lookup as (host: string, options: object, callback: (error: unknown, address?: unknown) => void) => void)('hooks.example.com', { all: true }, (error, address) => resolve(error ?? address));
    });
  for (const ip of METADATA_IN_IPV6) {
    const result = await lookupWith([{ address: '93.184.216.34', family: 4 }, { address: ip, family: 6 }], true);
    assert.equal((result as { code?: string }).code, 'EWEBHOOKADDRESS', `${ip}: ${String(result)}`);
  }
  for (const ip of PRIVATE_IN_IPV6) {
    const result = await lookupWith([{ address: ip, family: 6 }], false);
    assert.equal((result as { code?: string }).code, 'EWEBHOOKADDRESS', `${ip}: ${String(result)}`);
  }
  assert.deepEqual(await lookupWith([{ address: '64:ff9b::5db8:d822', family: 6 }], false), [{ address: '64:ff9b::5db8:d822', family: 6 }]);
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
