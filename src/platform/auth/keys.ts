// Signing keys: Ed25519 (EdDSA) key pairs made with jose, kept as private JWKs, published as a JWKS
// of their public halves (RFC 7517), each under a kid that is its RFC 7638 thumbprint. The newest
// key signs; a retired one stays published for the token lifetime plus 5 minutes, so every token it
// signed can still be verified until it expires.
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
} from 'jose';
import type { AccessClaims, Jwks } from './auth.ts';
import type { StoredKey } from './storage.ts';

/** How long a retired key stays published after the token lifetime, ms. */
export const KEY_GRACE = 5 * 60 * 1000;

/** A new signing key, made at `now`. */
export async function newKey(now: number): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! });
  return { kid, jwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' }, created: now, retired: null };
}

/** The public key set of these keys. */
export function jwksOf(keys: readonly StoredKey[]): Jwks {
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

// Imported keys by kid: importing costs more than signing.
const imported = new Map<string, Promise<CryptoKey>>();

/** An access token of these claims, signed with the key (header alg EdDSA, typ at+jwt, kid). */
export async function signAccess(key: StoredKey, claims: AccessClaims): Promise<string> {
  let pk = imported.get(key.kid);
  if (!pk) {
    if (imported.size >= 100) imported.clear();
    pk = importJWK(key.jwk, 'EdDSA') as Promise<CryptoKey>;
    imported.set(key.kid, pk);
  }
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
    .sign(await pk);
}
