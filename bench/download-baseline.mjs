// The baseline of the `download` suite: a minimal node http server that streams one file from disk
// (fs.createReadStream piped to the response, with Content-Length), whatever the path. Nothing else: no
// framework, no link check, no database, no download record.
//
//   PORT=8099 FILE=/path/to/artifact.bin node bench/download-baseline.mjs
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream';

const file = process.env.FILE;
if (!file) throw new Error('FILE must name the file to serve');
const port = Number(process.env.PORT || 8099);
const host = process.env.HOST || '127.0.0.1';

const server = http.createServer((req, res) => {
  if (req.url === '/health') return res.end('{"status":"ok"}');
  const { size } = statSync(file);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
  pipeline(createReadStream(file), res, () => {});
});
server.listen(port, host, () => process.stdout.write(`download baseline listening on http://${host}:${port}\n`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
