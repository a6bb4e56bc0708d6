// Suite `sdk`: offline verification of a license file by the SDK (verifyLicenseFile), against a bare
// Ed25519 `crypto.verify` over the same payload, in the same process and the same run (bench/sdk-verify.mjs).
//
// The license files are real: a Keyhaven server (SQLite, a few seeded licenses) is started through the
// CLI, one machine is activated and two files bound to it are checked out through the API, one plain and
// one encrypted to the key and fingerprint. The server is stopped before the measurement, which runs
// alone on the server core.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fmt, log, post, prepareDatabase, root, runScript, seed, serverCpu, startKeyhaven, stopChild, stopEverything } from '../harness.mjs';
import { Report } from '../report.mjs';

export const TARGETS = { ratio: 0.8 };
const FINGERPRINT = 'bench-sdk-machine';

/**
 * The median over the rounds of the SDK's rate over the raw rate of the same round: each pair ran back to
 * back, so a slow spell of the machine (which hits one round) does not move the figure.
 */
function pairedRatio(sdk, raw) {
  const ratios = sdk.perRound.map((ops, i) => ops / raw.perRound[i]).sort((a, b) => a - b);
  const mid = Math.floor(ratios.length / 2);
  return ratios.length % 2 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2;
}

/** Checks out the two files from a real server. */
async function licenseFiles(run) {
  const db = await prepareDatabase('sqlite', { suite: 'sdk', runStamp: run.runStamp, keep: run.keep });
  const { env, masterKey, workDir } = db;
  const seeded = await seed('sqlite', env, masterKey, { licenses: 100, sampleSize: 1 }, 'sdk/sqlite');
  const server = await startKeyhaven(env, 'sqlite');
  const key = seeded.sample[0];
  const { publicKey } = await (await fetch(`${server.url}/v1/public-key`)).json();
  const activated = await post(`${server.url}/v1/machines/activate`, { key, fingerprint: FINGERPRINT, name: 'Bench SDK machine' });
  if (activated.status !== 201) throw new Error(`activation failed (${activated.status}): ${activated.text}`);
  const checkout = async (body) => {
    const res = await post(`${server.url}/v1/licenses/checkout`, body);
    if (res.status !== 200) throw new Error(`checkout failed (${res.status}): ${res.text}`);
    return res.text;
  };
  const files = {
    plain: await checkout({ key, fingerprint: FINGERPRINT }),
    encrypted: await checkout({ key, fingerprint: FINGERPRINT, encrypt: true }),
  };
  await stopChild(server.child);
  return { workDir, job: { publicKey, fingerprint: FINGERPRINT, licenseKey: key, licenseId: activated.json.license.id, files } };
}

export default {
  name: 'sdk',
  title: 'SDK offline verification',
  defaults: { durationSeconds: 6, warmupSeconds: 1, rounds: 12 },

  async run(settings, run) {
    log(`sdk: verifyLicenseFile vs crypto.verify, ${settings.load.warmupSeconds} s warm-up + ${settings.load.durationSeconds} s per variant in ${settings.load.rounds} interleaved rounds`);
    const { workDir, job } = await licenseFiles(run);
    const jobFile = path.join(workDir, 'sdk-verify.json');
    writeFileSync(
      jobFile,
      JSON.stringify({
        ...job,
        rounds: settings.load.rounds,
        segmentMs: (settings.load.durationSeconds * 1000) / settings.load.rounds,
        warmupMs: (settings.load.warmupSeconds * 1000) / 4,
      }),
    );
    const measured = await runScript('sdk verify', [path.join(root, 'bench/sdk-verify.mjs'), jobFile], { cpu: serverCpu });
    await stopEverything();
    const ratio = pairedRatio(measured.sdk, measured.raw);
    const ratioEncrypted = pairedRatio(measured.sdkEncrypted, measured.rawEncrypted);
    return {
      ...measured,
      ratio,
      ratioEncrypted,
      checks: [
        {
          name: `verifyLicenseFile (bound, plain file) ≥ ${TARGETS.ratio} of raw crypto.verify over the same ${measured.payloadBytes.plain} B payload`,
          value: `${ratio.toFixed(3)} (${fmt.int(measured.sdk.opsPerSecond)} vs ${fmt.int(measured.raw.opsPerSecond)} verifications/s)`,
          pass: ratio >= TARGETS.ratio,
        },
      ],
      informational: [
        {
          name: `verifyLicenseFile (bound, encrypted file: AES-256-GCM too) ≥ ${TARGETS.ratio} of raw crypto.verify over the same ${measured.payloadBytes.encrypted} B payload`,
          value: `${ratioEncrypted.toFixed(3)} (${fmt.int(measured.sdkEncrypted.opsPerSecond)} vs ${fmt.int(measured.rawEncrypted.opsPerSecond)} verifications/s)`,
          pass: ratioEncrypted >= TARGETS.ratio,
        },
      ],
    };
  },

  report(result, settings, meta) {
    const r = new Report(`SDK offline verification benchmark — ${meta.startedAt}`);
    const row = (name, x, ratio) => [name, fmt.int(x.opsPerSecond), x.microsPerOp.toFixed(1), ratio === undefined ? '1.000' : ratio.toFixed(3)];
    r.table([
      ['variant', 'verifications/s', 'µs each', 'ratio'],
      row(`crypto.verify, plain file payload (${result.payloadBytes.plain} B)`, result.raw),
      row('verifyLicenseFile, plain file bound to the machine', result.sdk, result.ratio),
      row(`crypto.verify, encrypted file payload (${result.payloadBytes.encrypted} B)`, result.rawEncrypted),
      row('verifyLicenseFile, encrypted file bound to the machine', result.sdkEncrypted, result.ratioEncrypted),
    ]);
    r.paragraph(
      `License files checked out from a real server (SQLite) for an activated machine: ${result.fileBytes.plain} B plain, ${result.fileBytes.encrypted} B encrypted. ` +
        `verifyLicenseFile is called as an application calls it (armoured text, public key as base64 text, the machine's fingerprint, and the license key for the encrypted file); ` +
        `crypto.verify gets a prepared KeyObject, payload and signature. Both run in one process on one pinned core, in ${settings.load.rounds} interleaved rounds of ${((settings.load.durationSeconds * 1000) / settings.load.rounds).toFixed(0)} ms per variant after a warm-up; the ratio is the median over the rounds of the SDK's rate over the raw rate of the same round. ${meta.pinning}. Node ${meta.node}, ${meta.cpuModel}.`,
    );
    r.paragraph(`Target: the SDK's check of a plain bound file ≥ ${TARGETS.ratio} of the raw signature check. The encrypted file (which also decrypts) is reported for information.`);
    r.pass('SDK (Node)', result.checks, [`per-round verifications/s: raw ${result.raw.perRound.join(', ')}; SDK ${result.sdk.perRound.join(', ')}`]);
    r.pass('SDK, encrypted file', result.informational, [], { informational: true });
    return r.render();
  },
};
