// The baseline for `npm run bench`: a bare Fastify 5 server (the same fastify package the Keyhaven server
// uses) with one POST route that parses the JSON body and answers a constant JSON body of the same shape
// and size as a real answer of the operation measured (validateLicense by default). No schema, no hooks,
// no logging, no signing, no database. ROUTE_METHOD=GET makes it a GET route (lists, reports); BODY_TYPE
// (e.g. text/csv) sends the file as it is with that content type instead of serializing it as JSON.
//
//   PORT=8099 BODY_FILE=/path/to/body.json [ROUTE_PATH=/v1/machines/activate] [ROUTE_METHOD=GET] [BODY_TYPE=text/csv] node bench/baseline-server.mjs
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const Fastify = createRequire(path.join(root, 'packages/server/package.json'))('fastify');

const port = Number(process.env.PORT || 8099);
const host = process.env.HOST || '127.0.0.1';
const type = process.env.BODY_TYPE;
const text = process.env.BODY_FILE ? readFileSync(process.env.BODY_FILE, 'utf8') : undefined;
const body = text === undefined ? { valid: true, code: 'VALID', detail: 'The license is valid' } : type ? text : JSON.parse(text);

const app = Fastify({ logger: false });
app.route({
  method: process.env.ROUTE_METHOD || 'POST',
  url: process.env.ROUTE_PATH || '/v1/licenses/validate',
  handler: async (_request, reply) => (type ? reply.type(type).send(body) : body),
});
app.get('/health', async () => ({ status: 'ok' }));

await app.listen({ port, host });
process.stdout.write(`baseline listening on http://${host}:${port}\n`);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => app.close().then(() => process.exit(0)));
