import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export type MachineIdSource = 'machine-id' | 'ioreg' | 'registry' | 'hostname-mac';

export interface MachineFingerprintOptions {
  /**
   * An application-specific salt, so two vendors' applications on the same machine see unrelated
   * fingerprints and the raw machine id never leaves the machine. Default `keyhaven`.
   */
  salt?: string;
  /** Read the raw id from here instead of the platform (e.g. a mounted file, or an id from your own store). */
  rawId?: string;
}

function run(file: string, args: string[]): string | undefined {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000, windowsHide: true });
  } catch {
    return undefined;
  }
}

function readId(path: string): string | undefined {
  try {
    const id = readFileSync(path, 'utf8').trim();
    // systemd writes "uninitialized" during first boot; an empty file is what some images ship.
    return id.length > 0 && id !== 'uninitialized' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The platform's stable machine id, unhashed, and where it came from. Prefer machineFingerprint(). */
export function rawMachineId(platform: NodeJS.Platform = process.platform): { source: MachineIdSource; id: string } {
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') {
    for (const path of ['/etc/machine-id', '/var/lib/dbus/machine-id', '/etc/hostid']) {
      const id = readId(path);
      if (id) return { source: 'machine-id', id };
    }
  } else if (platform === 'darwin') {
    const out = run('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice']);
    const match = out?.match(/"IOPlatformUUID"\s*=\s*"([^"]+)"/);
    if (match?.[1]) return { source: 'ioreg', id: match[1] };
  } else if (platform === 'win32') {
    const out = run('reg', ['query', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography', '/v', 'MachineGuid']);
    const match = out?.match(/MachineGuid\s+REG_SZ\s+(\S+)/i);
    if (match?.[1]) return { source: 'registry', id: match[1] };
  }
  // Fallback: the host name and the hardware addresses of the non-internal interfaces.
  const macs = new Set<string>();
  for (const entries of Object.values(os.networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (!entry.internal && entry.mac && entry.mac !== '00:00:00:00:00:00') macs.add(entry.mac.toLowerCase());
    }
  }
  return { source: 'hostname-mac', id: `${os.hostname()}|${[...macs].sort().join(',')}` };
}

/**
 * A stable, hashed identifier of this machine: hex SHA-256 of an app-specific salt and the platform's
 * machine id (/etc/machine-id or /var/lib/dbus/machine-id on Linux, IOPlatformUUID on macOS, MachineGuid on
 * Windows; host name and MAC addresses otherwise). Send it as `fingerprint`.
 */
export function machineFingerprint(options: MachineFingerprintOptions = {}): string {
  const id = options.rawId ?? rawMachineId().id;
  return createHash('sha256')
    .update('keyhaven-fingerprint\0')
    .update(options.salt ?? 'keyhaven')
    .update('\0')
    .update(id)
    .digest('hex');
}
