// Secrets at rest: scrypt (node:crypto, run on libuv's thread pool, so the event loop is free),
// N=16384, r=8, p=1, a 16-byte random salt and a 32-byte key, stored as
// `scrypt$16384$8$1$<salt b64url>$<hash b64url>` and compared with timingSafeEqual. Checking a
// secret against no account (an unknown id) hashes it against a dummy of the same parameters, so a
// failed login costs the same time whether or not the account exists. Each check costs about 16 MiB
// of memory and tens of ms of one pool thread.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY = 32;

function derive(secret: string, salt: Buffer, o: ScryptOptions, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, length, { ...o, maxmem: 256 * o.N! * o.r! }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** The stored form of a secret: `scrypt$N$r$p$<salt>$<hash>`. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, { N, r: R, p: P }, KEY);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

// Never matches (no secret hashes to random bytes) but costs what a real check costs.
const DUMMY = `scrypt$${N}$${R}$${P}$${randomBytes(16).toString('base64url')}$${randomBytes(KEY).toString('base64url')}`;

/** Whether `secret` is the one `stored` was made of; with no stored hash, false after the same work. */
export async function verifySecret(secret: string, stored: string | undefined): Promise<boolean> {
  const parts = (stored ?? DUMMY).split('$');
  // Only parameters this module writes: a stored hash asking for other work is checked as the dummy.
  const sane =
    stored !== undefined &&
    parts.length === 6 &&
    parts.slice(0, 4).join('$') === `scrypt$${N}$${R}$${P}`;
  const [, , , , salt, hash] = sane ? parts : DUMMY.split('$');
  const expected = Buffer.from(hash!, 'base64url');
  const key = await derive(secret, Buffer.from(salt!, 'base64url'), { N, r: R, p: P }, KEY);
  return sane && expected.length === KEY && timingSafeEqual(expected, key);
}

/** A strong secret: 32 characters of base64url (24 random bytes). */
export const newSecret = (): string => randomBytes(24).toString('base64url');
