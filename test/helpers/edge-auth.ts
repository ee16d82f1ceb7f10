// Auth for the edges' tests: a signing key of the test's own, a snapshot (rules, the key's JWKS, a
// revoked token) and a verifier over it, an Auth answering the OAuth routes, and the tokens: an
// admin's, alice's (who may call greeter Say.Hello only), a revoked one and every bad one.
import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import type {
  Auth,
  AuthSnapshot,
  Jwks,
  Rule,
  TokenRequest,
  TokenResponse,
} from '../../src/platform/auth/auth.ts';
import { seedRules } from '../../src/platform/auth/rules.ts';
import { createVerifier } from '../../src/platform/auth/verifier.ts';
import type { EdgeAuth, EdgeVerifier } from '../../src/proxy/auth/edge.ts';
import { MicroError } from '../../src/runtime/errors.ts';
import { badTokens, claimsOf, mintToken, strangerKey, type SigningKey } from './tokens.ts';

/** The accounts the fake Auth knows: id -> secret. */
export const SECRETS: Record<string, string> = {
  admin: 'admin-secret-0123456789',
  alice: 'alice-secret-0123456789',
  worker: 'worker-secret-0123456789',
};

/** alice may call greeter Say.Hello, publish `orders`, and read the store of app `orders`, nothing else. */
export const RULES: Rule[] = [
  ...seedRules(),
  ...(
    [
      ['service', 'greeter', 'Say.Hello'],
      ['topic', 'orders', '*'],
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
  /** What the fake Auth was asked, for the OAuth tests (no secrets). */
  asked: TokenRequest['grant_type'][];
  revokedTokens: string[];
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

const oauthError = (code: number, error: string, detail: string): MicroError =>
  Object.assign(new MicroError('auth', code, detail), { error, error_description: detail });

/** Starts the verifier over a fixed snapshot, and a fake Auth signing with the same key. */
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
  const asked: TokenRequest['grant_type'][] = [];
  const revokedTokens: string[] = [];
  const issue = async (sub: string, type: 'user' | 'service'): Promise<TokenResponse> => {
    const claims = claimsOf(sub, { account_type: type });
    return {
      access_token: await mintToken(key, claims),
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: `mrt_${randomUUID().replace(/-/g, '')}`,
      scope: '',
    };
  };
  const auth: Pick<Auth, 'token' | 'revoke' | 'jwks' | 'snapshot'> = {
    async token(r) {
      asked.push(r.grant_type);
      const id = r.grant_type === 'password' ? r.username : r.client_id;
      const secret = r.grant_type === 'password' ? r.password : r.client_secret;
      if (r.grant_type === 'refresh_token') {
        if (!r.refresh_token?.startsWith('mrt_'))
          throw oauthError(400, 'invalid_grant', 'the refresh token is unknown or used');
        return issue('alice', 'user');
      }
      if (!id || SECRETS[id] === undefined || SECRETS[id] !== secret)
        throw oauthError(401, 'invalid_client', 'unknown account or wrong secret');
      return issue(id, id === 'worker' ? 'service' : 'user');
    },
    async revoke(what) {
      if ('token' in what) revokedTokens.push(what.token);
    },
    async jwks() {
      return snapshot.jwks;
    },
    async snapshot() {
      return snapshot;
    },
  };
  const verifier = createVerifier({ source: auth as Auth, refresh: 60_000 });
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
    asked,
    revokedTokens,
    close: async () => {
      (verifier as { close?: () => unknown }).close?.();
    },
  };
}

/** A JWT signed with `key` but with a header other than micro's (for the JWKS check). */
export async function foreignTyp(key: SigningKey): Promise<string> {
  const pk = await importJWK(key.jwk, 'EdDSA');
  return new SignJWT({ ...claimsOf('admin') })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .sign(pk);
}
