// Auth for the edges' tests: a signing key of the test's own, a snapshot (rules, the key's JWKS, a
// revoked token) and the real verifier over it, and the tokens: an admin's, alice's (who may call
// greeter Say.Hello and little else), a service account's, a revoked one and every bad one.
import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import type { AuthSnapshot, Jwks, Rule } from '../../src/platform/auth/auth.ts';
import { seedRules } from '../../src/platform/auth/rules.ts';
import { createVerifier } from '../../src/platform/auth/verifier.ts';
import type { EdgeAuth, EdgeVerifier } from '../../src/proxy/auth/edge.ts';
import { MicroError } from '../../src/runtime/errors.ts';
import { badTokens, claimsOf, mintToken, strangerKey, type SigningKey } from './tokens.ts';

/** alice may call greeter Say.Hello, use topic `orders`, read `news`, read app `orders`' store, and little else. */
export const RULES: Rule[] = [
  ...seedRules(),
  ...(
    [
      ['service', 'greeter', 'Say.Hello'],
      ['topic', 'orders', '*'],
      ['topic', 'news', 'subscribe'],
      ['store', 'orders/statestore', 'read'],
      ['config', 'appconfig/*', 'read'],
      ['sync', 'lockstore/*', 'lock'],
      ['registry', '*', 'read'],
    ] as const
  ).map(([kind, name, action], i): Rule => ({
    id: `alice-${i}`,
    who: 'account:alice',
    resource: { kind, name, action },
    access: 'allow',
    priority: 0,
  })),
];

/** Everything an edge test needs of auth. */
export interface EdgeAuthBench {
  key: SigningKey;
  edge: EdgeAuth;
  verifier: EdgeVerifier;
  tokens: {
    admin: string;
    alice: string;
    revoked: string;
    /** A service account's, allowed by the seed rules to call any service. */
    worker: string;
  };
  /** badTokens() of the key: each must be a 401. */
  bad: Record<string, string>;
  close(): Promise<void>;
}

const publicJwk = (jwk: JWK, kid: string): Jwks['keys'][number] => ({
  kid,
  alg: 'EdDSA',
  use: 'sig',
  kty: 'OKP',
  crv: 'Ed25519',
  x: jwk.x as string,
});

/** Starts the verifier over a fixed snapshot of the test's own key. */
export async function edgeAuthBench(): Promise<EdgeAuthBench> {
  const key = await strangerKey(`k-${randomUUID()}`);
  const revokedClaims = claimsOf('alice', { roles: [] });
  const snapshot: AuthSnapshot = {
    version: 1,
    rules: RULES,
    jwks: { keys: [publicJwk(key.jwk, key.kid)] },
    revoked: [{ jti: revokedClaims.jti, exp: revokedClaims.exp }],
    revokedBefore: {},
  };
  // The edges' OAuth routes are tested against the real memory Auth (auth-oauth.test.ts).
  const unused = (): never => {
    throw new MicroError('auth', 501, 'not in this test');
  };
  const auth = { token: unused, revoke: unused, jwks: async () => snapshot.jwks };
  const verifier = createVerifier({ source: { snapshot: async () => snapshot }, refresh: 60_000 });
  const sign = (sub: string, over = {}) => mintToken(key, claimsOf(sub, over));
  return {
    key,
    verifier,
    edge: { verifier, auth },
    tokens: {
      admin: await sign('admin'),
      alice: await sign('alice', { roles: [] }),
      revoked: await mintToken(key, revokedClaims),
      worker: await sign('worker', { account_type: 'service', roles: [] }),
    },
    bad: await badTokens(key),
    close: async () => verifier.close(),
  };
}
