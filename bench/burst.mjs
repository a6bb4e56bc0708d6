// A burst of concurrent requests for `npm run bench` (suite activate), run as its own process pinned to
// the load generator's core. Every request gets its own connection; all connections are opened and their
// headers sent first, then every body is released in one go, so the server sees them all at once:
// the worst case for a seat limit.
//
//   node bench/burst.mjs <job.json>
//   job: { url, path, bodies: [string] }    one request per body
//
// Prints `RESULT {"statuses":{"201":10,...},"codes":{"TOO_MANY_MACHINES":490},"errors":[...],"ms":...}`
// (`codes` counts the error codes of error answers).
import { readFileSync } from 'node:fs';
import http from 'node:http';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const target = new URL(job.path, job.url);
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

const statuses = {};
const codes = {};
const errors = [];
const count = (map, key) => {
  map[key] = (map[key] ?? 0) + 1;
};

/** Opens the connection and sends the headers; `release()` sends the body, `done` settles with the answer. */
function prepare(body) {
  const payload = Buffer.from(body);
  const req = http.request(target, {
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', 'content-length': payload.length },
    timeout: 60_000,
  });
  const connected = new Promise((resolve) => req.once('socket', (socket) => (socket.connecting ? socket.once('connect', resolve) : resolve())));
  const done = new Promise((resolve) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        count(statuses, String(res.statusCode));
        try {
          const answer = JSON.parse(text);
          if (typeof answer.error?.code === 'string') count(codes, answer.error.code);
        } catch {
          count(codes, 'unparsable');
        }
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => {
      errors.push(error.message);
      resolve();
    });
  });
  req.flushHeaders();
  return { connected, done, release: () => req.end(payload) };
}

const requests = job.bodies.map(prepare);
await Promise.all(requests.map((r) => r.connected));
const started = performance.now();
for (const r of requests) r.release();
await Promise.all(requests.map((r) => r.done));
const ms = performance.now() - started;
agent.destroy();
process.stdout.write(`RESULT ${JSON.stringify({ statuses, codes, errors: errors.slice(0, 10), errorCount: errors.length, ms })}\n`);
