import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may go (SSRF protection). A webhook makes the server send a request of its own to a
 * staff-chosen URL and shows the first KiB of the answer in the delivery log, so the target address is
 * checked:
 *
 * - always refused: link-local (169.254.0.0/16, fe80::/10, home of cloud metadata services such as
 *   169.254.169.254), unspecified (0.0.0.0/8, ::), multicast and reserved ranges;
 * - refused unless `KEYHAVEN_WEBHOOK_ALLOW_PRIVATE` is true (the default on a self-hosted server):
 *   loopback (127.0.0.0/8, ::1), private networks (10/8, 172.16/12, 192.168/16, fc00::/7), shared
 *   address space (100.64/10) and benchmarking (198.18/15).
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

/** `::ffff:a.b.c.d` and `::ffff:xxxx:yyyy` (IPv4-mapped IPv6) as the IPv4 address they carry. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const lower = address.toLowerCase();
  const dotted = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (dotted) return { address: dotted[1]!, family: 'ipv4' };
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 'ipv4' };
  }
  return { address, family: isIP(address) === 4 ? 'ipv4' : 'ipv6' };
}

/** Why an IP address may not receive webhooks, or undefined when it may. */
export function refusedAddress(ip: string, allowPrivate: boolean): string | undefined {
  const { address, family } = unmapped(ip);
  if (ALWAYS_REFUSED.check(address, family)) return `${ip} is a link-local, unspecified or multicast address`;
  if (!allowPrivate && PRIVATE.check(address, family)) return `${ip} is a loopback or private-network address (KEYHAVEN_WEBHOOK_ALLOW_PRIVATE is off)`;
  return undefined;
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
