import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may go (SSRF protection). A webhook makes the server send a request of its own to a
 * staff-chosen URL and shows the first KiB of the answer in the delivery log, so the target address is
 * checked:
 *
 * - always refused: link-local (169.254.0.0/16, fe80::/10, home of cloud metadata services such as
 *   169.254.169.254), AWS's IPv6 metadata address fd00:ec2::254, unspecified (0.0.0.0/8, ::),
 *   multicast and reserved ranges, and Teredo (2001::/32, whose client address is hidden by XOR);
 * - refused unless `KEYHAVEN_WEBHOOK_ALLOW_PRIVATE` is true (default false): loopback (127.0.0.0/8,
 *   ::1), private networks (10/8, 172.16/12, 192.168/16, fc00::/7), shared address space (100.64/10),
 *   benchmarking (198.18/15) and local-use NAT64 (64:ff9b:1::/48);
 * - an IPv6 address that carries an IPv4 address is judged by that IPv4 address as well: IPv4-mapped
 *   (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, so
 *   `::a9fe:a9fe` is 169.254.169.254), NAT64 (`64:ff9b::a.b.c.d`) and 6to4 (`2002:AABB:CCDD::/48`
 *   carries AA.BB.CC.DD). A NAT64 or 6to4 address of a public IPv4 host stays allowed.
 *
 * Literal addresses are checked when an endpoint is saved; host names are checked at every request on
 * the addresses DNS returns, at connect time (a name that resolves to an allowed address when saved and
 * to a private one later is still refused: no DNS rebinding).
 */

const ALWAYS_REFUSED = new BlockList();
ALWAYS_REFUSED.addSubnet('0.0.0.0', 8, 'ipv4');
ALWAYS_REFUSED.addSubnet('169.254.0.0', 16, 'ipv4');
ALWAYS_REFUSED.addSubnet('224.0.0.0', 4, 'ipv4');
ALWAYS_REFUSED.addSubnet('240.0.0.0', 4, 'ipv4');
ALWAYS_REFUSED.addAddress('::', 'ipv6');
ALWAYS_REFUSED.addSubnet('fe80::', 10, 'ipv6');
ALWAYS_REFUSED.addSubnet('ff00::', 8, 'ipv6');
ALWAYS_REFUSED.addAddress('fd00:ec2::254', 'ipv6');
ALWAYS_REFUSED.addSubnet('2001::', 32, 'ipv6');

const PRIVATE = new BlockList();
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addSubnet('192.0.0.0', 24, 'ipv4');
PRIVATE.addSubnet('198.18.0.0', 15, 'ipv4');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('64:ff9b:1::', 48, 'ipv6');

/** The eight 16-bit groups of a valid IPv6 address (as `isIP` accepts it; a `%zone` is dropped). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().split('%')[0]!;
  const dotted = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
}

/** The IPv4 address an IPv6 address carries (mapped, translated, compatible, NAT64, 6to4), if any. */
export function embeddedIpv4(address: string): string | undefined {
  if (isIP(address) !== 6) return undefined;
  const g = ipv6Groups(address);
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (zero(0, 5) && g[5] === 0xffff) return v4(g[6]!, g[7]!); // ::ffff:0:0/96, mapped
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return v4(g[6]!, g[7]!); // ::ffff:0:0:0/96, translated
  if (zero(0, 6) && !(g[6] === 0 && g[7]! <= 1)) return v4(g[6]!, g[7]!); // ::/96, compatible (not :: or ::1)
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return v4(g[6]!, g[7]!); // 64:ff9b::/96, NAT64
  if (g[0] === 0x2002) return v4(g[1]!, g[2]!); // 2002::/16, 6to4
  return undefined;
}

/** Why an IP address may not receive webhooks, or undefined when it may. */
export function refusedAddress(ip: string, allowPrivate: boolean): string | undefined {
  const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
  if (ALWAYS_REFUSED.check(ip, family)) return `${ip} is a link-local, metadata, unspecified, multicast or Teredo address`;
  if (!allowPrivate && PRIVATE.check(ip, family)) return `${ip} is a loopback or private-network address (KEYHAVEN_WEBHOOK_ALLOW_PRIVATE is off)`;
  const carried = embeddedIpv4(ip);
  const refused = carried === undefined ? undefined : refusedAddress(carried, allowPrivate);
  return refused && `${ip} carries the IPv4 address ${refused}`;
}

/** A URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Checks a webhook URL as staff enter it and returns it normalized, or the reason it is refused:
 * http(s) only, no credentials in it, no fragment, and no refused literal address.
 */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): { ok: true; url: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a valid URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'must be an http:// or https:// URL' };
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'must not contain credentials (user:password@); authenticate the request by its signature' };
  }
  if (url.hash !== '') return { ok: false, reason: 'must not have a #fragment' };
  const host = hostOf(url);
  if (host === '') return { ok: false, reason: 'must name a host' };
  if (isIP(host)) {
    const refused = refusedAddress(host, allowPrivate);
    if (refused) return { ok: false, reason: `is not allowed: ${refused}` };
  } else if (!allowPrivate && /(^|\.)localhost\.?$/.test(host)) {
    return { ok: false, reason: 'is not allowed: localhost is a loopback address (KEYHAVEN_WEBHOOK_ALLOW_PRIVATE is off)' };
  }
  return { ok: true, url: url.href };
}
