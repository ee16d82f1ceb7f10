// The one check of what auth is given (account ids, secrets, roles, scopes, metadata, rules, token
// and revoke requests) against AUTH_LIMITS. Every Auth (memory, SQLite, the control plane's client)
// and the `auth` service call it before touching anything, so each gives the same 400 with id
// `auth` naming the field, and stores nothing (token requests: token-request.ts). Messages never
// quote a secret or a token.
import { shownKey } from '../../runtime/server/closed.ts';
import {
  RESOURCE_ACTIONS,
  type AccountInput,
  type AccountType,
  type AccountUpdate,
  type ResourceKind,
  type Rule,
} from './auth.ts';
import { invalid, kind, shown } from './errors.ts';

/** Bounds of what auth keeps and takes; past them a 400 naming the field. */
export const AUTH_LIMITS = {
  /** Accounts, at most. */
  accounts: 10_000,
  /** Rules, at most. */
  rules: 10_000,
  /** Characters of an account id. */
  idLength: 128,
  /** Characters of a secret, at least and at most. */
  secretMin: 12,
  secretMax: 1024,
  /** Roles, and scopes, of an account, at most. */
  list: 32,
  /** Characters of a role or scope. */
  nameLength: 64,
  /** Keys of an account's metadata, at most. */
  metadataKeys: 32,
  /** Characters of a metadata value. */
  metadataValue: 1024,
  /** Characters of a rule's resource name or action pattern. */
  patternLength: 256,
  /** Characters of a token given to revoke or refresh. */
  tokenLength: 8192,
  /** Live refresh tokens per account; the oldest go past it. */
  refreshPerAccount: 1000,
  /** Signing keys kept (current and retired), at most; the oldest retired go past it. */
  keys: 100,
} as const;

const ID = /^[A-Za-z0-9._@-]+$/;
/** A role or scope name. */
export const NAME = /^[A-Za-z0-9._:-]+$/;
const RULE_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** An options object: an object with only these fields (a typo is a 400). */
export function fields(
  o: unknown,
  field: string,
  known: readonly string[],
): Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw invalid(`${field} must be an object, not ${kind(o)}`);
  for (const [k, v] of Object.entries(o))
    if (v !== undefined && !known.includes(k))
      throw invalid(`${shownKey(k)} is not a field of ${field}; it takes ${known.join(', ')}`);
  return o as Record<string, unknown>;
}

/** An account id: 1 to 128 of A-Z a-z 0-9 . _ @ -. */
export function checkAccountId(v: unknown, field = 'id'): string {
  if (typeof v !== 'string') throw invalid(`${field} must be a string, not ${kind(v)}`);
  if (v.length < 1 || v.length > AUTH_LIMITS.idLength || !ID.test(v))
    throw invalid(
      `${field} must be 1 to ${AUTH_LIMITS.idLength} of A-Z a-z 0-9 . _ @ -, not ${kind(v)}`,
    );
  // Ids are keys of JSON objects (revokedBefore) everywhere verifiers read them.
  if (v === '__proto__') throw invalid(`${field} must not be __proto__`);
  return v;
}

/** A secret: 12 to 1,024 characters (never quoted back). */
export function checkSecret(v: unknown, field = 'secret'): string {
  if (typeof v !== 'string') throw invalid(`${field} must be a string`);
  if (v.length < AUTH_LIMITS.secretMin || v.length > AUTH_LIMITS.secretMax)
    throw invalid(
      `${field} must be ${AUTH_LIMITS.secretMin} to ${AUTH_LIMITS.secretMax} characters, not ${v.length}`,
    );
  if (!v.isWellFormed()) throw invalid(`${field} must be well-formed Unicode`);
  return v;
}

/** A role or scope: 1 to 64 of A-Z a-z 0-9 . _ : -. */
export function checkName(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length < 1 || v.length > AUTH_LIMITS.nameLength || !NAME.test(v))
    throw invalid(
      `${field} must be 1 to ${AUTH_LIMITS.nameLength} of A-Z a-z 0-9 . _ : -, not ${kind(v)}`,
    );
  return v;
}

/** Roles or scopes: at most 32 names, each once. */
export function checkNames(v: unknown, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(`${field} must be an array of strings, not ${kind(v)}`);
  if (v.length > AUTH_LIMITS.list)
    throw invalid(`${field} has ${v.length} items; the limit is ${AUTH_LIMITS.list}`);
  return [...new Set(v.map((n, i) => checkName(n, `${field}[${i}]`)))];
}

/** Metadata: at most 32 string values under names as roles are. */
export function checkMetadata(v: unknown, field = 'metadata'): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw invalid(`${field} must be an object of strings, not ${kind(v)}`);
  const entries = Object.entries(v);
  if (entries.length > AUTH_LIMITS.metadataKeys)
    throw invalid(`${field} has ${entries.length} keys; the limit is ${AUTH_LIMITS.metadataKeys}`);
  return Object.fromEntries(
    entries.map(([k, value]) => {
      checkName(k, `${field} key ${shownKey(k)}`);
      if (k === '__proto__') throw invalid(`${field} must not have a key __proto__`);
      if (typeof value !== 'string' || value.length > AUTH_LIMITS.metadataValue)
        throw invalid(
          `${field}.${k} must be a string of at most ${AUTH_LIMITS.metadataValue} characters, not ${kind(value)}`,
        );
      return [k, value];
    }),
  );
}

function checkType(v: unknown): AccountType {
  if (v === 'user' || v === 'service') return v;
  throw invalid(`type must be "user" or "service", not ${kind(v)}`);
}

/** An account to create, checked, with its lists filled in. */
export function checkAccountInput(input: unknown): Required<Omit<AccountInput, 'secret'>> & {
  secret?: string;
} {
  const o = fields(input, 'an account', ['id', 'type', 'roles', 'scopes', 'metadata', 'secret']);
  const checked = {
    id: checkAccountId(o.id),
    type: checkType(o.type),
    roles: checkNames(o.roles, 'roles'),
    scopes: checkNames(o.scopes, 'scopes'),
    metadata: checkMetadata(o.metadata),
  };
  return o.secret === undefined ? checked : { ...checked, secret: checkSecret(o.secret) };
}

/** An update of an account, checked: only the fields given. */
export function checkAccountUpdate(update: unknown): AccountUpdate {
  const o = fields(update, 'an account update', [
    'roles',
    'scopes',
    'metadata',
    'disabled',
    'secret',
  ]);
  const u: AccountUpdate = {};
  if (o.roles !== undefined) u.roles = checkNames(o.roles, 'roles');
  if (o.scopes !== undefined) u.scopes = checkNames(o.scopes, 'scopes');
  if (o.metadata !== undefined) u.metadata = checkMetadata(o.metadata);
  if (o.disabled !== undefined) {
    if (typeof o.disabled !== 'boolean')
      throw invalid(`disabled must be true or false, not ${kind(o.disabled)}`);
    u.disabled = o.disabled;
  }
  if (o.secret !== undefined) u.secret = checkSecret(o.secret);
  return u;
}

/** A rule's `who`: `*`, `public`, `account:<id>`, `role:<role>`, `scope:<scope>`, `type:user|service`. */
export function checkWho(v: unknown): string {
  if (v === '*' || v === 'public') return v;
  const bad = () =>
    invalid(
      `who must be *, public, account:<id>, role:<role>, scope:<scope>, type:user or type:service, not ${kind(v)}`,
    );
  if (typeof v !== 'string') throw bad();
  const colon = v.indexOf(':');
  const [what, name] = [v.slice(0, colon), v.slice(colon + 1)];
  if (what === 'account' && ID.test(name) && name.length <= AUTH_LIMITS.idLength) return v;
  if ((what === 'role' || what === 'scope') && NAME.test(name) && name.length <= 64) return v;
  if (what === 'type' && (name === 'user' || name === 'service')) return v;
  throw bad();
}

/** A pattern part: exact, `*`, or a prefix ending in `*` (no other `*`), printable, at most 256 characters. */
function checkPattern(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length < 1 || v.length > AUTH_LIMITS.patternLength)
    throw invalid(`${field} must be 1 to ${AUTH_LIMITS.patternLength} characters, not ${kind(v)}`);
  if (v.slice(0, -1).includes('*'))
    throw invalid(`${field} may hold * only at its end (a prefix), not ${shown(v)}`);
  if (/[\s\p{Cc}]/u.test(v) || !v.isWellFormed())
    throw invalid(`${field} must hold no spaces or control characters, not ${shown(v)}`);
  return v;
}

const KINDS = Object.keys(RESOURCE_ACTIONS) as ResourceKind[];

/** A rule to create, checked; an absent id is generated by `id()`, an absent priority is 0. */
export function checkRule(rule: unknown, id: () => string): Rule {
  const o = fields(rule, 'a rule', ['id', 'who', 'resource', 'access', 'priority']);
  if (o.id !== undefined && (typeof o.id !== 'string' || !RULE_ID.test(o.id)))
    throw invalid(`id must be 1 to 128 of A-Z a-z 0-9 . _ : @ -, not ${kind(o.id)}`);
  const r = fields(o.resource, 'resource', ['kind', 'name', 'action']);
  const kindOf = r.kind;
  if (kindOf !== '*' && !KINDS.includes(kindOf as ResourceKind))
    throw invalid(`resource.kind must be * or one of ${KINDS.join(', ')}, not ${kind(kindOf)}`);
  const name = checkPattern(r.name, 'resource.name');
  const action = checkPattern(r.action, 'resource.action');
  const actions: readonly string[] | undefined =
    kindOf === '*' ? undefined : RESOURCE_ACTIONS[kindOf as ResourceKind];
  if (actions && !action.endsWith('*') && !actions.includes(action))
    throw invalid(
      `resource.action of a ${kindOf as string} rule must be *, a prefix ending in *, or one of ${actions.join(', ')}; not ${shown(action)}`,
    );
  if (o.access !== 'allow' && o.access !== 'deny')
    throw invalid(`access must be "allow" or "deny", not ${kind(o.access)}`);
  const priority = o.priority ?? 0;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || Math.abs(priority) > 1e6)
    throw invalid(
      `priority must be a whole number from -1000000 to 1000000, not ${kind(priority)}`,
    );
  return {
    id: o.id ?? id(),
    who: checkWho(o.who),
    resource: { kind: kindOf as ResourceKind | '*', name, action },
    access: o.access,
    priority,
  };
}

/** What revoke takes: `{token}` or `{account}`. */
export function checkRevoke(what: unknown): { token: string } | { account: string } {
  const o = fields(what, 'a revoke request', ['token', 'account']);
  if ((o.token === undefined) === (o.account === undefined))
    throw invalid('a revoke request takes token or account (one of them)');
  if (o.account !== undefined) return { account: checkAccountId(o.account, 'account') };
  if (typeof o.token !== 'string' || o.token.length < 1 || o.token.length > AUTH_LIMITS.tokenLength)
    throw invalid(`token must be a string of 1 to ${AUTH_LIMITS.tokenLength} characters`);
  return { token: o.token };
}
