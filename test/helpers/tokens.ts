// Tokens a test makes itself, good and bad, to prove every surface refuses the bad ones: expired,
// not yet valid, signed by a stranger's key, `alg: none`, for another audience. A test that holds the
// control plane's signing key (test/helpers/auth-keys.ts reads it from micro.db) makes well-signed
// ones with wrong claims; any test makes foreign-key and unsigned ones.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { AccessClaims } from '../../src/platform/auth/auth.ts';

/** A private signing key and the id it is published under. */
export interface SigningKey {
  kid: string;
  /** The private JWK (Ed25519, `d` set). */
  jwk: JWK;
}

/** A new Ed25519 key no verifier knows. */
export async function strangerKey(kid = `stranger-${randomUUID()}`): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { kid, jwk: await exportJWK(privateKey) };
}

const now = (): number => Math.floor(Date.now() / 1000);

/** Claims of a valid token of `sub` (an admin user unless said), living 15 minutes from now. */
export function claimsOf(sub = 'admin', over: Partial<AccessClaims> = {}): AccessClaims {
  const t = now();
  return {
    iss: 'micro',
    sub,
    aud: 'micro',
    iat: t,
    nbf: t,
    exp: t + 900,
    jti: randomUUID(),
    client_id: sub,
    scope: '',
    account_type: 'user',
    roles: sub === 'admin' ? ['admin'] : [],
    ...over,
  };
}

/** A JWT of `claims` signed with `key` (EdDSA, `typ: at+jwt`). */
export async function mintToken(key: SigningKey, claims: AccessClaims): Promise<string> {
  const pk = await importJWK(key.jwk, 'EdDSA');
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
    .sign(pk);
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An unsigned JWT (`alg: none`, RFC 7519 6.1) of `claims`: every verifier must refuse it. */
export function unsignedToken(claims: AccessClaims, kid?: string): string {
  return `${b64({ alg: 'none', typ: 'at+jwt', ...(kid && { kid }) })}.${b64(claims)}.`;
}

/** The bad tokens every surface must refuse with a 401, given the real signing key; by what is wrong. */
export async function badTokens(key: SigningKey, sub = 'admin'): Promise<Record<string, string>> {
  const t = now();
  const stranger = await strangerKey(key.kid); // same kid, other key: a forgery
  return {
    expired: await mintToken(key, claimsOf(sub, { iat: t - 3600, nbf: t - 3600, exp: t - 1800 })),
    'not yet valid': await mintToken(key, claimsOf(sub, { nbf: t + 3600, exp: t + 7200 })),
    'wrongly signed': await mintToken(stranger, claimsOf(sub)),
    'alg none': unsignedToken(claimsOf(sub), key.kid),
    'wrong audience': await mintToken(key, claimsOf(sub, { aud: 'someone-else' })),
    'wrong issuer': await mintToken(key, claimsOf(sub, { iss: 'evil' })),
    garbage: 'not.a.jwt',
  };
}
