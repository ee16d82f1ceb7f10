// The one Auth over an AuthStorage (memory.ts, sqlite.ts): accounts, rules, keys, revocations and
// the snapshot; the token endpoint's grants are in grants.ts. Every input is checked (validate.ts)
// before anything is stored. Each change verifiers must see (an account, a rule, a key, a
// revocation) bumps the snapshot version in the same atomic step as the change itself.
//
// Keys rotate lazily: the first token, JWKS or snapshot asked for after MICRO_AUTH_KEY_ROTATE makes
// a new key (verifiers poll the snapshot every 2 s, so in practice on time); a retired key stays in
// the JWKS for the token lifetime plus 5 minutes. Housekeeping (at most once a second, on the same
// calls) drops revoked token ids once their token expired, account cut-offs once every token they
// refuse expired, expired refresh tokens, and retired keys past their grace: every list is bounded
// by what is alive. Disabling, deleting or revoking an account refuses its tokens issued before
// (revokedBefore, in whole seconds; its new tokens are issued no earlier) and drops its refresh
// tokens. Changes of roles or scopes reach tokens when they are renewed (at most the token
// lifetime); revoke the account to apply them at once. A snapshot is built again only when the
// version changed (callers must not modify it).
import { randomUUID } from 'node:crypto';
import { conflict, notFound } from '../../runtime/errors.ts';
import type { Account, Auth, AuthSnapshot, Jwks } from './auth.ts';
import { AUTH_ID, invalid } from './errors.ts';
import { grant } from './grants.ts';
import { hashSecret, newSecret } from './hash.ts';
import { createKeyring, createSigner } from './keys.ts';
import { authSettings, type AuthOptions, type AuthSettings } from './options.ts';
import type { AuthStorage, StoredAccount, StoredKey } from './storage.ts';
import { ownClaims, REFRESH_PREFIX, sha256 } from './tokens.ts';
import {
  AUTH_LIMITS,
  checkAccountId,
  checkAccountInput,
  checkAccountUpdate,
  checkRevoke,
  checkRule,
} from './validate.ts';

/** What grants.ts needs of the engine. */
export interface AuthCore {
  storage: AuthStorage;
  settings: AuthSettings;
  /** The key that signs now (made or rotated when due). */
  signing(): Promise<StoredKey>;
  /** Revokes every token of a refresh family (inside an atomic step). */
  revokeFamily(family: string): void;
  /** Seconds since the epoch. */
  seconds(): number;
  /** Signs an access token's claims with the key. */
  sign: ReturnType<typeof createSigner>;
}

/** An account as callers see it: never its hash. */
export function publicAccount(a: StoredAccount): Account {
  return {
    id: a.id,
    type: a.type,
    roles: [...a.roles],
    scopes: [...a.scopes],
    metadata: { ...a.metadata },
    created: a.created,
    ...(a.disabled && { disabled: true }),
  };
}

/** An Auth over `storage`, reporting `name`. */
export function createAuthEngine(name: string, storage: AuthStorage, options?: AuthOptions): Auth {
  const settings = authSettings(options);
  const { now } = settings;
  const seconds = (): number => Math.floor(now() / 1000);
  let nextHousekeeping = 0;
  let snapshot: AuthSnapshot | undefined;

  const keyring = createKeyring(storage, settings);
  const housekeep = (): void => {
    const t = now();
    if (t < nextHousekeeping) return;
    nextHousekeeping = t + 1000;
    storage.atomic(() => {
      const s = Math.floor(t / 1000);
      const before = storage.keys().length;
      keyring.prune(t);
      // Verifiers accept a token up to 5 s past its exp (clock tolerance): its revocation stays as long.
      const revoked = storage.pruneRevoked(s - 5);
      const cut = storage.pruneRevokedBefore(s - Math.ceil(settings.tokenTtl / 1000) - 5);
      const changed = revoked || cut || storage.keys().length !== before;
      storage.pruneRefresh(t);
      if (changed) storage.bump();
    });
  };
  const liveJwks = (): Jwks => keyring.jwks();
  /** Refuses the account's tokens issued until now and drops its refresh tokens. */
  const cutOff = (id: string): void => {
    const before = Math.max(seconds() + 1, storage.revokedBefore()[id] ?? 0);
    storage.putRevokedBefore(id, before);
    storage.removeRefreshOf(id);
  };
  const revokeFamily = (family: string): void => {
    const s = seconds();
    for (const r of storage.family(family)) if (r.exp > s) storage.putRevoked(r.jti, r.exp);
    storage.removeFamily(family);
  };
  const core: AuthCore = {
    storage,
    settings,
    signing: () => keyring.signing(),
    revokeFamily,
    seconds,
    sign: createSigner(),
  };
  const missing = (id: string) => notFound(AUTH_ID, `no account ${id}`);

  return {
    name,
    async createAccount(input) {
      const c = checkAccountInput(input);
      const taken = () => conflict(AUTH_ID, `account ${c.id} already exists`);
      if (storage.account(c.id)) throw taken();
      const secret = c.secret ?? newSecret();
      const { secret: _s, ...rest } = c;
      const stored: StoredAccount = {
        ...rest,
        created: now(),
        disabled: false,
        hash: await hashSecret(secret),
      };
      storage.atomic(() => {
        if (storage.account(c.id)) throw taken();
        if (storage.accountCount() >= AUTH_LIMITS.accounts)
          throw invalid(`there are ${AUTH_LIMITS.accounts} accounts, the limit: delete some first`);
        storage.putAccount(stored);
        storage.bump();
      });
      return { account: publicAccount(stored), secret };
    },
    async getAccount(id) {
      const a = storage.account(checkAccountId(id));
      if (!a) throw missing(id);
      return publicAccount(a);
    },
    async listAccounts() {
      return storage.accounts().map(publicAccount);
    },
    async updateAccount(id, update) {
      checkAccountId(id);
      const u = checkAccountUpdate(update);
      if (!storage.account(id)) throw missing(id);
      const hash = u.secret === undefined ? undefined : await hashSecret(u.secret);
      return storage.atomic(() => {
        const a = storage.account(id);
        if (!a) throw missing(id);
        const next: StoredAccount = {
          ...a,
          ...(u.roles && { roles: u.roles }),
          ...(u.scopes && { scopes: u.scopes }),
          ...(u.metadata && { metadata: u.metadata }),
          ...(u.disabled !== undefined && { disabled: u.disabled }),
          ...(hash && { hash }),
        };
        storage.putAccount(next);
        if (next.disabled && !a.disabled) cutOff(id);
        storage.bump();
        return publicAccount(next);
      });
    },
    async deleteAccount(id) {
      checkAccountId(id);
      storage.atomic(() => {
        if (!storage.removeAccount(id)) throw missing(id);
        cutOff(id);
        storage.bump();
      });
    },
    async listRules() {
      return storage.rules();
    },
    async createRule(input) {
      const rule = checkRule(input, () => `rule-${randomUUID().slice(0, 8)}`);
      storage.atomic(() => {
        if (!storage.rule(rule.id) && storage.ruleCount() >= AUTH_LIMITS.rules)
          throw invalid(`there are ${AUTH_LIMITS.rules} rules, the limit: delete some first`);
        storage.putRule(rule);
        storage.bump();
      });
      return rule;
    },
    async deleteRule(id) {
      if (typeof id !== 'string' || id.length > 128)
        throw invalid('id must be a rule id (a string)');
      storage.atomic(() => {
        if (!storage.removeRule(id)) throw notFound(AUTH_ID, `no rule ${id}`);
        storage.bump();
      });
    },
    async token(request) {
      housekeep();
      return grant(core, request);
    },
    async revoke(what) {
      const w = checkRevoke(what);
      if ('account' in w) {
        storage.atomic(() => {
          if (!storage.account(w.account)) throw missing(w.account);
          cutOff(w.account);
          storage.bump();
        });
        return;
      }
      if (w.token.startsWith(REFRESH_PREFIX)) {
        storage.atomic(() => {
          const r = storage.refresh(sha256(w.token));
          if (!r) return;
          revokeFamily(r.family);
          storage.bump();
        });
        return;
      }
      // RFC 7009: a token that is not ours (or expired) is no error, and nothing is kept of it.
      const claims = await ownClaims(w.token, liveJwks(), settings);
      if (!claims) return;
      storage.atomic(() => {
        storage.putRevoked(claims.jti, claims.exp);
        storage.bump();
      });
    },
    async jwks() {
      await keyring.signing();
      return liveJwks();
    },
    async rotateKeys() {
      await keyring.rotate();
      return liveJwks();
    },
    async snapshot(): Promise<AuthSnapshot> {
      await keyring.signing();
      housekeep();
      // Verifiers poll every 2 s: an unchanged version is answered from the last one built.
      return storage.atomic(() => {
        const version = storage.version();
        if (snapshot?.version === version) return snapshot;
        return (snapshot = {
          version,
          rules: storage.rules(),
          jwks: liveJwks(),
          revoked: storage.revoked(),
          revokedBefore: storage.revokedBefore(),
        });
      });
    },
    async close() {
      await keyring.settled();
      storage.close();
    },
  };
}
