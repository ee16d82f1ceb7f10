// Auth for the gateway's auth-on contender: the parent makes a signing key and an admin's token
// and hands them to the children in the environment (BENCH_AUTH_JWKS to the gateway, which verifies
// locally with the platform's verifier over a fixed snapshot; BENCH_AUTH_TOKEN to the client).
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { AuthSnapshot, Jwks } from '../../src/platform/auth/auth.ts';
import type { EdgeAuth } from '../../src/proxy/auth/edge.ts';

/** Makes the key and the token, and puts them where the children read them. */
export async function shareBenchAuth(): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const kid = `bench-${randomUUID()}`;
  const x = (await exportJWK(publicKey)).x ?? '';
  const jwks: Jwks = { keys: [{ kid, alg: 'EdDSA', use: 'sig', kty: 'OKP', crv: 'Ed25519', x }] };
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    client_id: 'bench',
    scope: '',
    account_type: 'user',
    roles: ['admin'],
  })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
    .setIssuer('micro')
    .setAudience('micro')
    .setSubject('bench')
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 6 * 3600)
    .setJti(randomUUID())
    .sign(privateKey);
  process.env.BENCH_AUTH_JWKS = JSON.stringify(jwks);
  process.env.BENCH_AUTH_TOKEN = token;
}

/** The gateway's auth: the real verifier over a snapshot of the shared key and the seed rules. */
export async function benchEdgeAuth(): Promise<EdgeAuth> {
  const { createVerifier } = await import('../../src/platform/auth/verifier.ts');
  const { seedRules } = await import('../../src/platform/auth/rules.ts');
  const snapshot: AuthSnapshot = {
    version: 1,
    rules: seedRules(),
    jwks: JSON.parse(process.env.BENCH_AUTH_JWKS ?? '{"keys":[]}') as Jwks,
    revoked: [],
    revokedBefore: {},
  };
  const verifier = createVerifier({ source: { snapshot: async () => snapshot }, refresh: 60_000 });
  await verifier.snapshot();
  const none = (): never => {
    throw new Error('not served in the benchmark');
  };
  return { verifier, auth: { token: none, revoke: none, jwks: async () => snapshot.jwks } };
}
