import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { hostOf, refusedAddress } from './address-policy.js';

/** The answer kept from a receiver: at most this many bytes of its body. */
export const RESPONSE_EXCERPT_BYTES = 1024;

export interface SendOptions {
  /** Connect to last byte. */
  timeoutMs: number;
  allowPrivate: boolean;
  /** Aborts the request (the worker is stopping). */
  signal?: AbortSignal;
}

/** One HTTP attempt, as recorded in the delivery log. */
export interface SendResult {
  /** 2xx. */
  success: boolean;
  statusCode: number | null;
  /** The first KiB of the answer (UTF-8; NUL characters removed). */
  responseBody: string | null;
  durationMs: number;
  /** Why no 2xx came: connection refused, timeout, refused address, HTTP status. */
  error: string | null;
}

/** How `guardedLookup` asks for a name's addresses: `dns.lookup` with `all: true`. */
export type AllAddressesLookup = (hostname: string, options: { all: true; family?: number }, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * DNS lookup that refuses addresses the address policy does not allow: if any answer is refused, the
 * connection fails. It runs when the socket connects, so the address checked is the address connected to.
 */
export function guardedLookup(allowPrivate: boolean, resolve: AllAddressesLookup = dnsLookup as AllAddressesLookup): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
    resolve(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      for (const { address } of addresses) {
        const refused = refusedAddress(address, allowPrivate);
        if (refused) return callback(Object.assign(new Error(`refused: ${hostname} resolves to ${refused}`), { code: 'EWEBHOOKADDRESS' }));
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as LookupFunction;
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const message = e?.message ?? String(error);
  return e?.code && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}

/**
 * POSTs `body` to `url` once. Never throws: every outcome (status, network error, timeout) is a
 * result. Redirects are not followed (a 3xx is a failed attempt): the receiver must answer at the URL
 * staff configured. No connection is reused.
 */
export function postWebhook(url: string, body: string, headers: Record<string, string>, options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    let statusCode: number | null = null;
    const chunks: Buffer[] = [];
    let size = 0;
    const excerpt = () => (size === 0 ? (statusCode === null ? null : '') : Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8').replace(/\u0000/g, ''));
    const finish = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const success = error === null && statusCode !== null && statusCode >= 200 && statusCode < 300;
      resolve({
        success,
        statusCode,
        responseBody: excerpt(),
        durationMs: elapsed(),
        error: success ? null : (error ?? `HTTP ${statusCode}`),
      });
    };

    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return resolveEarly('the endpoint URL is not valid');
    }
    const host = hostOf(parsed);
    if (isIP(host)) {
      const refused = refusedAddress(host, options.allowPrivate);
      if (refused) return resolveEarly(`refused: ${refused}`);
    }
    if (options.signal?.aborted) return resolveEarly('aborted: the worker is stopping');

    const transport = parsed.protocol === 'https:' ? https : http;
    const request = transport.request(parsed, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' },
      agent: false,
      lookup: guardedLookup(options.allowPrivate),
    });
    const timer = setTimeout(() => {
      request.destroy(Object.assign(new Error(`timed out after ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, options.timeoutMs);
    const onAbort = () => request.destroy(new Error('aborted: the worker is stopping'));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    request.on('response', (response) => {
      statusCode = response.statusCode ?? null;
      response.on('data', (chunk: Buffer) => {
        if (size < RESPONSE_EXCERPT_BYTES) chunks.push(chunk);
        size += chunk.length;
        // The excerpt is all that is kept: stop reading once it is full.
        if (size >= RESPONSE_EXCERPT_BYTES) {
          finish(null);
          response.destroy();
        }
      });
      response.on('end', () => finish(null));
      // The status arrived; a body cut short (timeout, reset) does not change the outcome.
      response.on('error', () => finish(null));
      response.on('aborted', () => finish(null));
    });
    request.on('error', (error) => finish(statusCode === null ? describe(error) : null));
    request.end(body);

    function resolveEarly(error: string) {
      settled = true;
      resolve({ success: false, statusCode: null, responseBody: null, durationMs: elapsed(), error });
    }
  });
}
