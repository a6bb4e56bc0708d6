import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
const lastRandom = Buffer.alloc(10);

/**
 * A new opaque id: a short type prefix and a ULID body (48-bit millisecond time + 80 random bits,
 * Crockford base32). Ids sort by creation order, which keeps cursor pagination stable and B-tree inserts
 * at the right edge of an index. Within one process they are strictly increasing: inside the same
 * millisecond the random part is incremented (ULID's monotonic mode). Ids use the real time, not an
 * injected clock: they order records, they do not date them.
 */
export function newId(prefix: string): string {
  let now = Date.now();
  if (now <= lastTime) {
    now = lastTime;
    for (let i = lastRandom.length - 1; i >= 0; i--) {
      lastRandom[i] = (lastRandom[i]! + 1) & 0xff;
      if (lastRandom[i] !== 0) break;
    }
  } else {
    lastTime = now;
    randomBytes(10).copy(lastRandom);
  }
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  let rand = '';
  let acc = 0;
  let bits = 0;
  for (const byte of lastRandom) {
    acc = ((acc << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      rand += CROCKFORD[(acc >> bits) & 31]!;
    }
  }
  return `${prefix}_${time}${rand}`;
}
