// Signing keys: Ed25519 (EdDSA) key pairs made with jose, kept as private JWKs, published as a JWKS
// of their public halves (RFC 7517), each under a kid that is its RFC 7638 thumbprint. The newest
// key signs; a retired one stays published for the token lifetime plus 5 minutes, so every token it
// signed can still be verified until it expires. Rotation is lazy: the first key asked for after
// MICRO_AUTH_KEY_ROTATE makes the next (one at a time). At most AUTH_LIMITS.keys (100) are kept.
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
} from 'jose';
import type { AccessClaims, Jwks } from './auth.ts';
import type { AuthSettings } from './options.ts';
import type { AuthStorage, StoredKey } from './storage.ts';
import { AUTH_LIMITS } from './validate.ts';

/** How long a retired key stays published after the token lifetime, ms. */
export const KEY_GRACE = 5 * 60 * 1000;

// Imported keys a signer keeps: the current one and a few retired.
const AUTH_KEYS_CACHED = 8;

/** A new signing key, made at `now`. */
export async function newKey(now: number): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! });
  return { kid, jwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' }, created: now, retired: null };
}

/** The public key set of these keys. */
export function jwksOf(keys: readonly Pick<StoredKey, 'kid' | 'jwk'>[]): Jwks {
  return {
    keys: keys.map((k) => ({
      kid: k.kid,
      alg: 'EdDSA',
      use: 'sig',
      kty: 'OKP',
      crv: 'Ed25519',
      x: k.jwk.x!,
    })),
  };
}

/** Whether a retired key may go: every token it signed has expired (token TTL + grace after retiring). */
export const keyGone = (key: StoredKey, now: number, tokenTtl: number): boolean =>
  key.retired !== null && key.retired + tokenTtl + KEY_GRACE <= now;

/** Signs access tokens (header alg EdDSA, typ at+jwt, kid), keeping the keys it imported. */
export function createSigner(): (key: StoredKey, claims: AccessClaims) => Promise<string> {
  // Importing a key costs more than signing with it.
  const imported = new Map<string, Promise<CryptoKey>>();
  return async (key, claims) => {
    let pk = imported.get(key.kid);
    if (!pk) {
      if (imported.size >= AUTH_KEYS_CACHED) imported.clear();
      pk = importJWK(key.jwk, 'EdDSA') as Promise<CryptoKey>;
      imported.set(key.kid, pk);
    }
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
      .sign(await pk);
  };
}

/** The keys of one Auth: which signs, rotation, and what is published. */
export interface Keyring {
  /** The key that signs now, made or rotated when due. */
  signing(): Promise<StoredKey>;
  /** Starts signing with a new key (one rotation at a time). */
  rotate(): Promise<StoredKey>;
  /** Drops retired keys past their grace, and the oldest retired past AUTH_LIMITS.keys. */
  prune(now: number): void;
  /** The public keys of every key not yet gone. */
  jwks(): Jwks;
  /** Resolves once a rotation under way has ended. */
  settled(): Promise<void>;
}

/** The keyring of an Auth over `storage`. */
export function createKeyring(storage: AuthStorage, settings: AuthSettings): Keyring {
  const { now, tokenTtl } = settings;
  let current: StoredKey | undefined;
  let rotating: Promise<StoredKey> | undefined;
  const prune = (t: number): void => {
    const keys = storage.keys();
    let excess = keys.length - AUTH_LIMITS.keys;
    for (const k of keys)
      if (keyGone(k, t, tokenTtl) || (excess > 0 && k.retired !== null)) {
        storage.removeKey(k.kid);
        excess--;
      }
  };
  const rotate = async (): Promise<StoredKey> => {
    const key = await newKey(now());
    storage.atomic(() => {
      const t = now();
      for (const k of storage.keys()) if (k.retired === null) storage.putKey({ ...k, retired: t });
      storage.putKey(key);
      prune(t);
      storage.bump();
    });
    return (current = key);
  };
  const rotateOnce = (): Promise<StoredKey> =>
    (rotating ??= rotate().finally(() => (rotating = undefined)));
  return {
    async signing() {
      current ??= storage.keys().findLast((k) => k.retired === null);
      if (current && current.created + settings.keyRotate > now()) return current;
      return rotateOnce();
    },
    rotate: rotateOnce,
    prune,
    jwks: () => jwksOf(storage.keys().filter((k) => !keyGone(k, now(), tokenTtl))),
    async settled() {
      await rotating?.catch(() => undefined);
    },
  };
}
