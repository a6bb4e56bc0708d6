// The client of the `download` suite, run as its own process (pinned by the caller to the load core):
// GETs one URL and counts the bytes of the body as they arrive, discarding them; with --sha256 it also
// hashes them (the warm-up download, which checks the content, not the speed). Prints `RESULT {...}`:
// { status, bytes, seconds, firstByteMs, contentLength, sha256? }.
//
// A plain TCP socket reading into one reused 1 MB buffer (net's `onread`), with the request and the
// answer's head written and parsed here: node's http client costs a copy and a stream chunk per 64 KB
// and tops out well below what a server on the other core can send (about 40% of curl's rate on the
// benchmark machine), so it would measure itself. The servers answer with Content-Length (no chunked
// encoding) and close the connection after the body (Connection: close).
//
//   node bench/download-client.mjs <url> [--sha256]
import { createHash } from 'node:crypto';
import net from 'node:net';

const [target, flag] = process.argv.slice(2);
const url = new URL(target);
const hash = flag === '--sha256' ? createHash('sha256') : undefined;
const buffer = Buffer.alloc(1 << 20);

const started = performance.now();
const result = await new Promise((resolve, reject) => {
  let head = Buffer.alloc(0);
  let answer; // { status, contentLength } once the head is read
  let firstByteMs;
  let bytes = 0;
  const body = (chunk) => {
    bytes += chunk.length;
    hash?.update(chunk);
  };
  const socket = net.connect({
    host: url.hostname,
    port: Number(url.port),
    onread: {
      buffer,
      callback(n, buf) {
        firstByteMs ??= performance.now() - started;
        if (answer) return body(buf.subarray(0, n));
        head = Buffer.concat([head, buf.subarray(0, n)]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        const lines = head.subarray(0, end).toString('latin1').split('\r\n');
        const headers = Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        answer = { status: Number(lines[0].split(' ')[1]), contentLength: Number(headers['content-length']), chunked: /chunked/i.test(headers['transfer-encoding'] ?? '') };
        body(head.subarray(end + 4));
        head = undefined;
      },
    },
  });
  socket.on('connect', () => socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`));
  socket.on('error', reject);
  socket.on('close', () => {
    if (!answer) return reject(new Error(`the connection closed before an answer (${head?.length ?? 0} bytes)`));
    if (answer.chunked) return reject(new Error('the answer is chunked: the client counts Content-Length bodies only'));
    resolve({
      status: answer.status,
      bytes,
      seconds: (performance.now() - started) / 1000,
      firstByteMs: Math.round(firstByteMs * 10) / 10,
      contentLength: answer.contentLength,
      ...(hash ? { sha256: hash.digest('hex') } : {}),
    });
  });
});
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
