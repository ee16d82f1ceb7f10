// Auth: accounts for users and services, rules over resources, and short-lived tokens (JWTs) that
// every service, the gateway, the sidecar and the dashboard verify locally. One interface for the
// control plane's `auth` service (SQLite) and the in-process memory one (tests).
//
// Guarantees: secrets are stored only as scrypt hashes and never returned after creation; a token
// is an EdDSA (Ed25519) JWT whose key is in the JWKS; nothing is allowed when auth is on unless a
// rule allows it (deny by default), a deny beating an allow of the same priority; a revoked token
// is refused by every verifier within one refresh (MICRO_AUTH_REFRESH, 2 s by default) of the revoke.
import type { Caller } from '../../runtime/server/guard.ts';

/** An account's kind: a person (password grant, dashboard, CLI) or a program (client credentials). */
export type AccountType = 'user' | 'service';

/** An account, as listed: never its secret. */
export interface Account extends Caller {
  readonly type: AccountType;
  /** When it was created, ms since the epoch. */
  readonly created: number;
  /** A disabled account gets no token, and its tokens are refused. */
  readonly disabled?: boolean;
}

/** What creating an account takes. */
export interface AccountInput {
  /** 1 to 128 of A-Z a-z 0-9 . _ @ - (a service account's is its service's name). */
  id: string;
  /** A person or a program. */
  type: AccountType;
  /** Roles rules speak of (`role:<role>`), at most 32. */
  roles?: string[];
  /** Scopes its tokens may carry, at most 32. */
  scopes?: string[];
  /** Labels copied into its tokens, at most 32. */
  metadata?: Record<string, string>;
  /** The secret (at least 12 characters); a strong one is generated when absent. */
  secret?: string;
}

/** What updating an account may change. */
export interface AccountUpdate {
  /** Its new roles (all of them). */
  roles?: string[];
  /** Its new scopes (all of them). */
  scopes?: string[];
  /** Its new labels (all of them). */
  metadata?: Record<string, string>;
  /** Disabling refuses its tokens and gives it no new ones. */
  disabled?: boolean;
  /** A new secret; its old tokens stay valid until they expire unless revoked. */
  secret?: string;
}

/** The kinds of resource rules speak of, and the actions of each. */
export const RESOURCE_ACTIONS = {
  /** name: the service; action: the endpoint (`Say.Hello`). */
  service: undefined,
  /** name: the topic (broker and events alike). */
  topic: ['publish', 'subscribe'],
  /** name: the service a record names. */
  registry: ['read', 'register', 'deregister'],
  /** name: `<database>/<table>`. */
  store: ['read', 'write'],
  /** name: `<namespace>/<path>` (path dotted, empty for the whole namespace). */
  config: ['read', 'write'],
  /** name: the lock or election. */
  sync: ['read', 'lock', 'elect'],
  /** name: `<database>/<collection>`. */
  db: ['read', 'write'],
  /** name: `accounts`, `rules`, `keys` or `tokens`. */
  auth: ['read', 'write'],
} as const satisfies Record<string, readonly string[] | undefined>;

/** A kind of resource. */
export type ResourceKind = keyof typeof RESOURCE_ACTIONS;

/** One thing a caller wants to do: `{kind: 'service', name: 'greeter', action: 'Say.Hello'}`. */
export interface Resource {
  /** What kind of thing. */
  kind: ResourceKind;
  /** Which one (a service, a topic, `<db>/<table>`...). */
  name: string;
  /** What is done to it (an endpoint, or one of the kind's actions). */
  action: string;
}

/** A pattern of resources: each part exact, `*` (anything) or a prefix ending in `*`. */
export interface ResourcePattern {
  /** A kind, or `*`. */
  kind: ResourceKind | '*';
  /** A name, `*`, or a prefix ending in `*`. */
  name: string;
  /** An action, `*`, or a prefix ending in `*`. */
  action: string;
}

/**
 * Who a rule is for: `*` (any account), `public` (anyone, with no token too), `account:<id>`,
 * `role:<role>`, `scope:<scope>` or `type:user` / `type:service`.
 */
export type Who = string;

/** One rule: who may (or may not) do what. */
export interface Rule {
  /** Unique; generated when not given. */
  id: string;
  /** Whom it is for. */
  who: Who;
  /** What it is about. */
  resource: ResourcePattern;
  /** Whether it allows or denies. */
  access: 'allow' | 'deny';
  /** The highest-priority matching rule decides; at equal priority deny wins. Default 0. */
  priority: number;
}

/** OAuth 2.0 grants the token endpoint takes (RFC 6749 sections 4.3, 4.4 and 6). */
export interface TokenRequest {
  /** Which grant. */
  grant_type: 'client_credentials' | 'password' | 'refresh_token';
  /** client_credentials: the account id. */
  client_id?: string;
  /** client_credentials: the account's secret. */
  client_secret?: string;
  /** password: the account id. */
  username?: string;
  /** password: the account's secret. */
  password?: string;
  /** refresh_token: a refresh token (used once). */
  refresh_token?: string;
  /** Space-separated; a subset of the account's scopes (all of them when absent). */
  scope?: string;
}

/** The token endpoint's answer (RFC 6749 section 5.1). */
export interface TokenResponse {
  /** The JWT to send as `authorization: Bearer <token>`. */
  access_token: string;
  /** Always `Bearer`. */
  token_type: 'Bearer';
  /** Seconds the access token lives. */
  expires_in: number;
  /** Opaque, single use: exchanging it gives a new pair; reusing one revokes its family. */
  refresh_token: string;
  /** The scopes granted, space-separated. */
  scope: string;
}

/** A JSON Web Key Set of the public keys tokens are signed with (RFC 7517). */
export interface Jwks {
  /** The keys, oldest first; the newest signs. */
  keys: {
    /** The key id tokens name in their header. */
    kid: string;
    /** Always EdDSA. */
    alg: 'EdDSA';
    /** Always sig. */
    use: 'sig';
    /** Always OKP. */
    kty: 'OKP';
    /** Always Ed25519. */
    crv: 'Ed25519';
    /** The public key, base64url. */
    x: string;
  }[];
}

/** What verifiers need to decide locally, fetched every refresh: changed when `version` changed. */
export interface AuthSnapshot {
  /** Grows on every change of rules, keys, revocations or accounts. */
  version: number;
  /** Every rule. */
  rules: Rule[];
  /** The keys tokens may be signed with. */
  jwks: Jwks;
  /** Revoked access tokens by `jti`, each until its `exp` (seconds), then dropped. */
  revoked: {
    /** The token's id. */
    jti: string;
    /** When it expires (s). */
    exp: number;
  }[];
  /** Accounts whose tokens issued (`iat`, seconds) before a time are refused: disabled, deleted, or revoked whole. */
  revokedBefore: Record<string, number>;
}

/** The claims of micro's access tokens (RFC 9068 style; header `typ: at+jwt`, `alg: EdDSA`, `kid`). */
export interface AccessClaims {
  /** MICRO_AUTH_ISSUER, `micro` by default. */
  iss: string;
  /** The account id. */
  sub: string;
  /** MICRO_AUTH_AUDIENCE, `micro` by default. */
  aud: string;
  /** Issued at (s). */
  iat: number;
  /** Not valid before (s). */
  nbf: number;
  /** Expires at (s). */
  exp: number;
  /** The token's unique id (what revocation names). */
  jti: string;
  /** The account id, as `sub`. */
  client_id: string;
  /** Space-separated scopes. */
  scope: string;
  /** `user` or `service`. */
  account_type: AccountType;
  /** The account's roles. */
  roles: string[];
  /** The account's labels, when it has any. */
  metadata?: Record<string, string>;
}

/** Auth: accounts, rules, tokens, keys. Every method's errors are MicroErrors with id `auth`. */
export interface Auth {
  /** `memory`, `sqlite` or `micro` (the control plane's, over RPC). */
  readonly name: string;
  /** Creates an account; returns it with its secret, the only time the secret is shown. */
  createAccount(input: AccountInput): Promise<{
    /** The account made. */
    account: Account;
    /** Its secret: given, or generated. */
    secret: string;
  }>;
  /** The account (a 404 when there is none). */
  getAccount(id: string): Promise<Account>;
  /** Every account, by id. */
  listAccounts(): Promise<Account[]>;
  /** Changes what the update gives; returns the account as it now is. */
  updateAccount(id: string, update: AccountUpdate): Promise<Account>;
  /** Deletes it; its tokens are refused from then on. */
  deleteAccount(id: string): Promise<void>;
  /** Every rule, by id. */
  listRules(): Promise<Rule[]>;
  /** Adds (or replaces, same id) a rule. */
  createRule(
    rule: Omit<Rule, 'id' | 'priority'> & Partial<Pick<Rule, 'id' | 'priority'>>,
  ): Promise<Rule>;
  /** Removes a rule (a 404 when there is none). */
  deleteRule(id: string): Promise<void>;
  /** The token endpoint: a 400/401 MicroError carries `error` (RFC 6749 5.2) in its detail's place. */
  token(request: TokenRequest): Promise<TokenResponse>;
  /** Revokes an access or refresh token (RFC 7009: unknown tokens are no error), or every token of an account. */
  revoke(what: { token: string } | { account: string }): Promise<void>;
  /** The public keys tokens are verified with. */
  jwks(): Promise<Jwks>;
  /** Starts signing with a new key; the old stays in the JWKS until its tokens expired. */
  rotateKeys(): Promise<Jwks>;
  /** Rules, keys and revocations, for verifiers. */
  snapshot(): Promise<AuthSnapshot>;
  /** Releases its storage or connection. */
  close(): Promise<void>;
}
