// The client of the `exports` suite, run as its own process (pinned by the caller to the load core): GETs one
// CSV export with a bearer token and reads the streamed body to its end, counting bytes and lines (CRLF
// records) and keeping the header and the last record's first cell, discarding the rest. Prints
// `RESULT {...}`: { status, contentType, disposition, bytes, lines, header, lastId, complete, firstByteMs, seconds }.
// `complete`: the response ended normally (a truncated stream — the server ended it after an error — is false).
//
//   BENCH_TOKEN=... node bench/export-client.mjs <url>
import http from 'node:http';

const url = process.argv[2];
const started = performance.now();
const result = await new Promise((resolve, reject) => {
  const req = http.get(url, { headers: { authorization: `Bearer ${process.env.BENCH_TOKEN}`, accept: 'text/csv' } }, (res) => {
    let firstByteMs;
    let bytes = 0;
    let lines = 0;
    let header;
    let tail = '';
    res.on('data', (chunk) => {
      firstByteMs ??= performance.now() - started;
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      if (header === undefined) {
        const text = chunk.toString('utf8');
        const end = text.indexOf('\r\n');
        if (end !== -1) header = text.slice(0, end);
      }
      tail = (tail + chunk.toString('utf8', Math.max(0, chunk.length - 4096))).slice(-4096);
    });
    res.on('end', () => {
      const records = tail.split('\r\n').filter(Boolean);
      resolve({
        status: res.statusCode,
        contentType: res.headers['content-type'],
        disposition: res.headers['content-disposition'],
        bytes,
        lines,
        header,
        lastId: records.at(-1)?.split(',')[0],
        complete: res.complete,
        firstByteMs,
        seconds: (performance.now() - started) / 1000,
      });
    });
    res.on('error', (error) => resolve({ status: res.statusCode, bytes, lines, complete: false, error: error.message, seconds: (performance.now() - started) / 1000 }));
  });
  req.on('error', reject);
});
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
