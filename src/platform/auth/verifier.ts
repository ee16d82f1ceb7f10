// Local verification of access tokens: the one place a JWT is verified (jose, EdDSA only). A
// verifier polls its source (the control plane's `Auth.Snapshot`) for keys, rules and revocations
// and decides with no call per request.
//
// Guarantees: a token passes only if signed by a key of the current JWKS (looked up by `kid`),
// with `typ: at+jwt`, the issuer and audience expected, within exp/nbf (5 s of clock tolerance),
// its jti not revoked and not issued before its account's `revokedBefore`. A rule change or
// revocation applies within one refresh (MICRO_AUTH_REFRESH, 2 s) of the control plane's change:
// each new snapshot version empties the cache of verified tokens. A token signed by a key the
// snapshot lacks (one rotated in since) makes it read the snapshot again at once, at most once per
// EARLY_POLL_MS (1 s) however many such tokens come, and verify that token again with it.
// Limits: at most 10,000 verified tokens are cached (the oldest goes first); a refusal never
// echoes the token; a failing poll keeps the last snapshot and tries again one refresh later.
import {
  createLocalJWKSet,
  errors as jose,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { MicroError, serviceUnavailable, unauthorized } from '../../runtime/errors.ts';
import type { Metadata } from '../../runtime/metadata.ts';
import type { Caller } from '../../runtime/server/guard.ts';
import type { AccessClaims, AuthSnapshot, Resource } from './auth.ts';
import { refusal } from './rules.ts';

/** Where a verifier gets its snapshots (an `Auth`, or anything with its `snapshot()`). */
export interface SnapshotSource {
  /** The current keys, rules and revocations. */
  snapshot(): Promise<AuthSnapshot>;
}

/** Options of createVerifier. */
export interface VerifierOptions {
  /** Polled every `refresh` ms. */
  source: SnapshotSource;
  /** The `iss` tokens must carry (default `micro`). */
  issuer?: string;
  /** The `aud` tokens must carry (default `micro`). */
  audience?: string;
  /** Milliseconds between polls (default 2000, MICRO_AUTH_REFRESH's default). */
  refresh?: number;
  /** The id of the errors it throws (default `micro.auth`). */
  id?: string;
  /** Told when a poll fails (the message only: a source's errors carry no token). */
  onError?: (err: Error) => void;
}

/** Verifies tokens and authorises callers against the latest snapshot. */
export interface Verifier {
  /** The caller a token names (synchronous when cached); throws a 401 saying why it is refused. */
  verify(token: string): Caller | Promise<Caller>;
  /** Throws the refusal (401 for no caller, 403 naming account and resource) unless a rule allows it. */
  authorize(caller: Caller | undefined, resource: Resource): void;
  /** Whether a first snapshot has arrived (authorize refuses with a 503 until then). */
  readonly ready: boolean;
  /** The current snapshot's version (0 before the first): a decision made under another is stale. */
  readonly version: number;
  /** The current snapshot, once the first has arrived. */
  snapshot(): Promise<AuthSnapshot>;
  /** Resolves with the snapshot of the next successful poll (for a change to be seen). */
  next(): Promise<AuthSnapshot>;
  /** Stops polling. */
  close(): void;
}

/** The most verified tokens kept. */
export const VERIFIER_CACHE_SIZE = 10_000;
/** Seconds of clock difference tolerated on exp and nbf. */
export const CLOCK_TOLERANCE = 5;
/** Least milliseconds between two reads of the source made early for a token of an unknown key. */
export const EARLY_POLL_MS = 1000;

interface Loaded {
  snapshot: AuthSnapshot;
  keys: JWTVerifyGetKey;
  revoked: Set<string>;
}

interface Cached {
  token: string;
  caller: Caller;
  /** When it expires, ms since the epoch. */
  until: number;
}

/**
 * The cache's key of a token: a number from the end of its signature. Hashing a new string of
 * 400-odd characters (each call's header is one) costs more than the rest of a cached check; the
 * whole token is still compared on a hit, and a collision only costs a full verification.
 */
function keyOf(token: string): number {
  let h = token.length;
  for (let i = Math.max(0, token.length - 6); i < token.length; i++)
    h = (Math.imul(h, 31) + token.charCodeAt(i)) | 0;
  return h;
}

/** Why a token failed, from jose's error: the words a 401's detail uses. */
function why(err: unknown): string {
  if (err instanceof jose.JWTExpired) return 'expired';
  if (err instanceof jose.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat') return 'not yet valid';
    if (err.claim === 'aud') return 'wrong audience';
    if (err.claim === 'iss') return 'wrong issuer';
    if (err.claim === 'typ') return 'malformed (not an access token)';
    return `malformed (claim ${err.claim})`;
  }
  if (err instanceof jose.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof jose.JWKSNoMatchingKey) return 'unknown key';
  if (err instanceof jose.JOSEAlgNotAllowed) return 'bad signature (algorithm not allowed)';
  return 'malformed';
}

/** The caller of verified claims; a claim of the wrong shape makes the token malformed. */
function callerOf(p: JWTPayload): Caller | undefined {
  const c = p as Partial<AccessClaims>;
  if (typeof c.sub !== 'string' || typeof c.account_type !== 'string') return undefined;
  if (!Array.isArray(c.roles) || !c.roles.every((r) => typeof r === 'string')) return undefined;
  const scope = typeof c.scope === 'string' ? c.scope : '';
  const md = c.metadata && typeof c.metadata === 'object' ? c.metadata : {};
  return Object.freeze({
    id: c.sub,
    type: c.account_type,
    roles: Object.freeze([...c.roles]),
    scopes: Object.freeze(scope.split(' ').filter(Boolean)),
    metadata: Object.freeze({ ...md }),
  });
}

/** Creates a verifier polling `source`; the first poll starts on the next tick. */
export function createVerifier(options: VerifierOptions): Verifier {
  const id = options.id ?? 'micro.auth';
  const issuer = options.issuer ?? 'micro';
  const audience = options.audience ?? 'micro';
  const refresh = options.refresh ?? 2000;
  const cache = new Map<number, Cached>();
  // A clock read per call costs more than a cached check; exp is checked against this one,
  // at most a second late (the tolerance on exp is 5 s).
  let now = Date.now();
  const clock = setInterval(() => (now = Date.now()), 1000);
  clock.unref();
  let loaded: Loaded | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let waiters: ((s: AuthSnapshot) => void)[] = [];
  let lastError: Error | undefined;

  const refuse = (reason: string): MicroError =>
    unauthorized(
      id,
      `token refused: ${reason}; get a new one (micro login, or the token endpoint)`,
    );

  const apply = (s: AuthSnapshot): void => {
    if (loaded && loaded.snapshot.version === s.version) return;
    loaded = {
      snapshot: s,
      keys: createLocalJWKSet(s.jwks),
      revoked: new Set(s.revoked.map((r) => r.jti)),
    };
    cache.clear();
  };

  /** Reads the source once and applies its snapshot; a failure keeps the last one. */
  const load = async (): Promise<void> => {
    try {
      apply(await options.source.snapshot());
      lastError = undefined;
      const done = waiters;
      waiters = [];
      for (const w of done) w(loaded!.snapshot);
    } catch (err) {
      lastError = err as Error;
      options.onError?.(lastError);
    }
  };

  const poll = async (): Promise<void> => {
    await load();
    if (!closed) {
      timer = setTimeout(() => void poll(), refresh);
      timer.unref();
    }
  };

  // A token of a key newer than the snapshot (just rotated) reads the source again at once rather
  // than waiting for the next poll: at most once a second, every verify meanwhile sharing that read.
  let early: Promise<void> | undefined;
  let earlyAt = -Infinity;
  const reload = (): Promise<void> => {
    if (early) return early;
    if (closed || Date.now() - earlyAt < EARLY_POLL_MS) return Promise.resolve();
    earlyAt = Date.now();
    return (early = load().finally(() => (early = undefined)));
  };
  // On the next tick: a source may reach for what its creator is still building.
  const first = Promise.resolve().then(poll);

  /** The loaded snapshot, after the first poll; a 503 if there is none yet. */
  const current = async (): Promise<Loaded> => {
    await first;
    if (loaded) return loaded;
    throw serviceUnavailable(
      id,
      `cannot verify tokens yet: no auth snapshot (${lastError?.message ?? 'not loaded'})`,
    );
  };

  const check = (l: Loaded, c: Cached, iat: number | undefined): Caller => {
    const before = l.snapshot.revokedBefore[c.caller.id];
    if (before !== undefined && (iat === undefined || iat < before)) throw refuse('revoked');
    return c.caller;
  };

  const full = async (token: string, retry = true): Promise<Caller> => {
    const l = await current();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, l.keys, {
        algorithms: ['EdDSA'],
        issuer,
        audience,
        typ: 'at+jwt',
        clockTolerance: CLOCK_TOLERANCE,
        requiredClaims: ['exp', 'sub', 'jti', 'iat'],
      }));
    } catch (err) {
      if (retry && err instanceof jose.JWKSNoMatchingKey) {
        await reload();
        if (loaded !== l) return full(token, false);
      }
      throw refuse(why(err));
    }
    const caller = callerOf(payload);
    if (!caller) throw refuse('malformed (claims)');
    if (typeof payload.jti === 'string' && l.revoked.has(payload.jti)) throw refuse('revoked');
    const entry = { token, caller, until: (payload.exp ?? 0) * 1000 };
    check(l, entry, payload.iat);
    // A snapshot that arrived during the await may have revoked it: cache only under the same one.
    if (loaded === l && entry.until > Date.now()) {
      if (cache.size >= VERIFIER_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(keyOf(token), entry);
    }
    return caller;
  };

  return {
    verify(token) {
      const key = keyOf(token);
      const hit = cache.get(key);
      if (hit !== undefined && hit.token === token) {
        if (hit.until > now) return hit.caller;
        cache.delete(key);
      }
      return full(token);
    },
    authorize(caller, resource) {
      if (!loaded) throw serviceUnavailable(id, 'cannot authorise yet: no auth snapshot');
      const e = refusal(id, loaded.snapshot.rules, caller, resource);
      if (e) throw e;
    },
    get ready() {
      return loaded !== undefined;
    },
    get version() {
      return loaded?.snapshot.version ?? 0;
    },
    snapshot: async () => (await current()).snapshot,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(clock);
      cache.clear();
    },
  };
}

/**
 * The token of `Authorization: Bearer <token>` (the scheme in any case), from a call's metadata or
 * the header's value; undefined when there is none; a 401 when it is not that shape.
 */
export function bearer(from: Metadata | string | undefined, id = 'micro.auth'): string | undefined {
  const value = typeof from === 'object' ? from.authorization : from;
  if (value === undefined || value === '') return undefined;
  // The usual shape, cheaply (other whitespace inside a token fails its verification anyway).
  if (value.startsWith('Bearer ') && value.length > 7 && value.indexOf(' ', 7) < 0)
    return value.slice(7);
  const space = value.indexOf(' ');
  const token = space < 0 ? '' : value.slice(space + 1).trim();
  if (value.slice(0, space).toLowerCase() !== 'bearer' || token === '' || /\s/.test(token))
    throw unauthorized(id, 'the authorization must be "Bearer <token>"');
  return token;
}
