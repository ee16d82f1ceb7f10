// An auth control plane in miniature for tests of verifiers and guards: a snapshot source the
// test edits (rules, keys, revocations) and a token endpoint minting real EdDSA tokens with a test
// key, counting its grants.
import { randomUUID } from 'node:crypto';
import type {
  AccountType,
  AuthSnapshot,
  Jwks,
  Rule,
  TokenRequest,
  TokenResponse,
} from '../../src/platform/auth/auth.ts';
import { jwksOf as jwksOfKeys } from '../../src/platform/auth/keys.ts';
import { claimsOf, mintToken, type SigningKey } from './tokens.ts';

/** The JWKS publishing the public half of signing keys (the auth service's own jwksOf). */
export const jwksOf = (...keys: SigningKey[]): Jwks => jwksOfKeys(keys);

/** An allow rule on a service's endpoints (`*` by default). */
export const allowService = (who: string, name: string, action = '*'): Rule => ({
  id: randomUUID(),
  who,
  resource: { kind: 'service', name, action },
  access: 'allow',
  priority: 0,
});

/** A source of snapshots and tokens the test drives. */
export interface FakeAuth {
  /** The snapshot served next; edit it with change(). */
  snap: AuthSnapshot;
  /** When true, snapshot() rejects. */
  failing: boolean;
  /** Calls of snapshot() so far. */
  polls: number;
  /** Token grants served, by grant type. */
  grants: TokenRequest['grant_type'][];
  /** The jti of each access token issued, by account. */
  issued: Map<string, string>;
  snapshot(): Promise<AuthSnapshot>;
  token(request: TokenRequest): Promise<TokenResponse>;
  /** Edits the snapshot and bumps its version. */
  change(edit: (s: AuthSnapshot) => void): void;
}

/** A fake auth signing with `key`; `accounts` gives each account's type and roles. */
export function fakeAuth(
  key: SigningKey,
  rules: Rule[] = [],
  accounts: Record<string, { type: AccountType; roles?: string[] }> = {},
): FakeAuth {
  const refreshOf = new Map<string, string>();
  const auth: FakeAuth = {
    snap: { version: 1, rules, jwks: jwksOf(key), revoked: [], revokedBefore: {} },
    failing: false,
    polls: 0,
    grants: [],
    issued: new Map(),
    async snapshot() {
      auth.polls++;
      if (auth.failing) throw new Error('control plane unreachable');
      return structuredClone(auth.snap);
    },
    async token(request) {
      auth.grants.push(request.grant_type);
      const id = request.client_id ?? refreshOf.get(request.refresh_token ?? '');
      if (id === undefined) throw new Error('invalid_grant');
      const account = accounts[id] ?? { type: 'service' };
      const claims = claimsOf(id, { account_type: account.type, roles: account.roles ?? [] });
      auth.issued.set(id, claims.jti);
      const refresh = `mrt_${randomUUID()}`;
      refreshOf.set(refresh, id);
      return {
        access_token: await mintToken(key, claims),
        token_type: 'Bearer',
        expires_in: 900,
        refresh_token: refresh,
        scope: '',
      };
    },
    change(edit) {
      edit(auth.snap);
      auth.snap.version++;
    },
  };
  return auth;
}
