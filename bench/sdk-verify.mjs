// The measuring process of `npm run bench` suite sdk, pinned by the caller to a core of its own.
// Compares, in this one process, the SDK's offline check of a license file (verifyLicenseFile from
// packages/sdk/dist, called as an application calls it: the armoured text, the public key as base64
// text, this machine's fingerprint) with a bare `crypto.verify` Ed25519 over the same signed payload
// (key object, payload and signature prepared once: the floor any verifier pays).
//
// Variants run in interleaved rounds (raw, sdk, raw, sdk, ...), so a slow spell of a shared machine hits
// each alike; each run lasts `segmentMs` and its operations are counted.
//
//   node bench/sdk-verify.mjs <job.json>
//   job: { publicKey, fingerprint, licenseKey, licenseId, files: { plain, encrypted }, rounds, segmentMs, warmupMs }
//
// Prints `LOG ...` progress lines and `RESULT {...}` with operations/s per variant.
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sdk = await import(pathToFileURL(path.join(root, 'packages/sdk/dist/index.js')).href);
const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { publicKey, fingerprint, licenseKey } = job;

/** What the raw check needs of a file, prepared once. */
function rawInputs(text) {
  const envelope = sdk.parseLicenseFile(text);
  const raw = Buffer.from(publicKey, 'base64');
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  return { key, payload: Buffer.from(envelope.payload, 'utf8'), signature: Buffer.from(envelope.sig, 'base64'), payloadBytes: envelope.payload.length };
}

// Correctness first: the files verify, and a tampered or foreign use is refused.
const plain = rawInputs(job.files.plain);
const encrypted = rawInputs(job.files.encrypted);
const expectThrow = (code, fn) => {
  try {
    fn();
  } catch (error) {
    if (error.code === code) return;
    throw new Error(`expected ${code}, got ${error.code ?? error.message}`);
  }
  throw new Error(`expected ${code}, but the file verified`);
};
for (const [name, text, options, inputs] of [
  ['plain', job.files.plain, { publicKey, fingerprint }, plain],
  ['encrypted', job.files.encrypted, { publicKey, fingerprint, licenseKey }, encrypted],
]) {
  const payload = sdk.verifyLicenseFile(text, options);
  if (payload.license.id !== job.licenseId || payload.fingerprint !== fingerprint) throw new Error(`the ${name} file does not assert the license and machine it was checked out for`);
  if (!verify(null, inputs.payload, inputs.key, inputs.signature)) throw new Error(`the raw check refuses the ${name} file`);
}
expectThrow('WRONG_MACHINE', () => sdk.verifyLicenseFile(job.files.plain, { publicKey, fingerprint: `${fingerprint}-other` }));
const envelope = sdk.parseLicenseFile(job.files.plain);
// One more seat, same signature.
const forged = { ...envelope, payload: Buffer.from(Buffer.from(envelope.payload, 'base64').toString('utf8').replace('"maxMachines":', '"maxMachines":1')).toString('base64') };
const forgedText = `-----BEGIN ${sdk.LICENSE_FILE_LABEL}-----\n${Buffer.from(JSON.stringify(forged)).toString('base64')}\n-----END ${sdk.LICENSE_FILE_LABEL}-----\n`;
expectThrow('SIGNATURE_INVALID', () => sdk.verifyLicenseFile(forgedText, { publicKey, fingerprint }));

const variants = {
  raw: () => verify(null, plain.payload, plain.key, plain.signature),
  sdk: () => sdk.verifyLicenseFile(job.files.plain, { publicKey, fingerprint }),
  rawEncrypted: () => verify(null, encrypted.payload, encrypted.key, encrypted.signature),
  sdkEncrypted: () => sdk.verifyLicenseFile(job.files.encrypted, { publicKey, fingerprint, licenseKey }),
};

/** Runs `fn` in batches for `ms` milliseconds; returns the operations done and the time taken. */
function runFor(fn, ms) {
  const started = performance.now();
  let ops = 0;
  let now = started;
  while (now - started < ms) {
    for (let i = 0; i < 20; i++) fn();
    ops += 20;
    now = performance.now();
  }
  return { ops, ms: now - started };
}

for (const fn of Object.values(variants)) runFor(fn, job.warmupMs);
const totals = Object.fromEntries(Object.keys(variants).map((name) => [name, { ops: 0, ms: 0, perRound: [] }]));
for (let round = 0; round < job.rounds; round++) {
  for (const [name, fn] of Object.entries(variants)) {
    const { ops, ms } = runFor(fn, job.segmentMs);
    totals[name].ops += ops;
    totals[name].ms += ms;
    totals[name].perRound.push(Math.round((ops / ms) * 1000));
  }
  process.stdout.write(`LOG sdk: round ${round + 1} of ${job.rounds}\n`);
}

const result = { payloadBytes: { plain: plain.payloadBytes, encrypted: encrypted.payloadBytes }, fileBytes: { plain: job.files.plain.length, encrypted: job.files.encrypted.length } };
for (const [name, t] of Object.entries(totals)) {
  result[name] = { opsPerSecond: (t.ops / t.ms) * 1000, microsPerOp: (t.ms * 1000) / t.ops, ops: t.ops, seconds: t.ms / 1000, perRound: t.perRound };
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
