#!/usr/bin/env node
// A small command-line app licensed with Keyhaven through @keyhaven/sdk.
//
//   node app.mjs activate   take a seat for this machine (once per machine; validate needs it)
//   node app.mjs deactivate give the seat back (e.g. before moving to a new machine)
//   node app.mjs validate   validation of this machine; while the server is unreachable, the last good
//                           validation counts for OFFLINE_GRACE_DAYS (default 7)
//   node app.mjs float      take a floating seat, heartbeat until Ctrl-C (the seat is released on exit)
//   node app.mjs checkout   save a license file bound to this machine (for offline use); it holds the seat
//   node app.mjs checkin    back online early: delete the saved license file and give its seat back
//   node app.mjs request    no network at all: write an activation request for an operator to submit
//   node app.mjs install    read the license file the operator brought back, pasted on stdin, and save it
//   node app.mjs offline    work offline from the saved license file
//
// Configuration (environment): KEYHAVEN_URL, KEYHAVEN_PUBLIC_KEY (GET /v1/public-key → publicKey),
// LICENSE_KEY, and optionally PRODUCT (the product code this app is; validation then checks it),
// FINGERPRINT (default: this machine's) and DATA_DIR, where the app keeps its files (default: .data next
// to this file, never the directory it is run from): LICENSE_FILE (default $DATA_DIR/license.lic),
// REQUEST_FILE (activation-request.txt), CACHE_FILE (validation.json), CLOCK_STORE (clock.json).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { text } from 'node:stream/consumers';
import {
  KeyhavenClient,
  KeyhavenError,
  LicenseFileError,
  OfflineGraceError,
  Seat,
  SignatureError,
  createActivationRequest,
  machineFingerprint,
  verifyLicenseFile,
} from '../../packages/sdk/dist/index.js';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) {
    console.error(`Set ${name}.`);
    process.exit(2);
  }
  return value;
};

const command = process.argv[2];
const publicKey = env('KEYHAVEN_PUBLIC_KEY');
const key = env('LICENSE_KEY');
const fingerprint = process.env.FINGERPRINT ?? machineFingerprint({ salt: 'keyhaven-example-cli' });
const product = process.env.PRODUCT;
const dataDir = process.env.DATA_DIR ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '.data');
mkdirSync(dataDir, { recursive: true });
const licenseFile = process.env.LICENSE_FILE ?? path.join(dataDir, 'license.lic');
const client = () => new KeyhavenClient({ baseUrl: env('KEYHAVEN_URL'), publicKey, timeoutMs: 5_000 });
const verifyOptions = { publicKey, fingerprint, licenseKey: key, clockStore: process.env.CLOCK_STORE ?? path.join(dataDir, 'clock.json') };

try {
  switch (command) {
    case 'activate': {
      const { machine, license, created } = await client().activate({ key, fingerprint, name: `${hostname()} (example)`, hostname: hostname(), platform: process.platform });
      const seats = license.maxMachines === null ? `${license.activeMachines} seats in use` : `seat ${license.activeMachines} of ${license.maxMachines}`;
      console.log(`${created ? 'ACTIVATED' : 'ALREADY ACTIVE'} ${machine.id} (${seats})`);
      break;
    }
    case 'deactivate': {
      await client().deactivate({ key, fingerprint });
      console.log('DEACTIVATED: the seat is free for another machine');
      break;
    }
    case 'validate': {
      const cache = { path: process.env.CACHE_FILE ?? path.join(dataDir, 'validation.json'), offlineGraceMs: Number(process.env.OFFLINE_GRACE_DAYS ?? 7) * 86_400_000 };
      // The kept answer covers exactly this request (key, machine, product): a cache copied from another
      // machine or kept for another product is refused offline.
      const result = await client().validateWithOfflineGrace({ key, fingerprint, ...(product ? { product } : {}) }, cache);
      const how = result.source === 'cache' ? ` (offline: last validated ${result.validatedAt}, usable until ${result.offlineUntil})` : '';
      console.log(`${result.valid ? 'VALID' : 'INVALID'} ${result.code}: ${result.detail}${how}`);
      process.exitCode = result.valid ? 0 : 1;
      break;
    }
    case 'float': {
      const seat = await Seat.hold(client(), { key, fingerprint, name: `${hostname()} (example)` }, { onError: (e) => console.error(`heartbeat: ${e.message}`) });
      console.log(`SEAT ${seat.activation.machine.id} lease until ${seat.activation.machine.leaseExpiresAt}`);
      console.log('Working… press Ctrl-C to stop and release the seat.');
      // Keep the process alive; the seat heartbeats in the background and is released on SIGINT/SIGTERM.
      setInterval(() => {}, 60_000);
      break;
    }
    case 'checkout': {
      const { file, payload } = await client().checkoutLicenseFile({ key, fingerprint, ttlDays: 30 });
      writeFileSync(licenseFile, file);
      console.log(`Saved ${licenseFile}: valid offline until ${payload.expiresAt}`);
      break;
    }
    case 'checkin': {
      // Delete the file first: the server cannot call it back, it trusts the app to have given it up.
      rmSync(licenseFile, { force: true });
      await client().checkinLicenseFile({ key, fingerprint });
      console.log(`Checked in: ${licenseFile} deleted, the seat is no longer held for offline use`);
      break;
    }
    case 'request': {
      const requestFile = process.env.REQUEST_FILE ?? path.join(dataDir, 'activation-request.txt');
      writeFileSync(requestFile, createActivationRequest({ key, fingerprint, name: `${hostname()} (example)` }));
      console.log(`Wrote ${requestFile}: submit it from a connected machine (API createOfflineActivation or the portal),`);
      console.log('then paste the license file you get back into: node app.mjs install');
      break;
    }
    case 'install': {
      // A "license textbox": whatever is pasted, as long as it holds the license block.
      const pasted = await text(process.stdin);
      const payload = verifyLicenseFile(pasted, verifyOptions);
      writeFileSync(licenseFile, pasted);
      console.log(`Installed ${licenseFile}: ${payload.license.name}, valid offline until ${payload.expiresAt}`);
      break;
    }
    case 'offline': {
      const payload = verifyLicenseFile(readFileSync(licenseFile, 'utf8'), verifyOptions);
      console.log(`OFFLINE OK ${payload.license.name}: features ${payload.features.join(', ') || '(none)'}, until ${payload.expiresAt}`);
      break;
    }
    default:
      console.error('Usage: node app.mjs activate | deactivate | validate | float | checkout | checkin | request | install | offline');
      process.exitCode = 2;
  }
} catch (error) {
  if (error instanceof KeyhavenError) console.error(`Refused: ${error.code} — ${error.message}`);
  else if (error instanceof OfflineGraceError) console.error(`Offline and not usable: ${error.reason} — ${error.message}`);
  else if (error instanceof SignatureError) console.error(`Untrusted answer: ${error.reason} — ${error.message}`);
  else if (error instanceof LicenseFileError) console.error(`License file refused: ${error.code} — ${error.message}`);
  else console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
