// Who may run what through the bot. A command that changes state (call, register, publish, a
// service's command...) or reads data kept from chat users (store and config reads) runs only for a user on the allow-list (`xmpp:alice@example.org`, or
// `slack:*` for every user of an input) or whose auth roles (the account whose metadata `chat` names
// them, through rolesOf) include an allowed role (default `admin`). Every command counts against a
// per-user rate limit (token buckets, src/runtime/resilience/rate-limit.ts).
//
// Guarantees: a refusal is a MicroError 403 (naming the user, the command and what to configure) or
// 429 (with the seconds to wait, also as retryAfter), never another kind of failure: an auth service
// that cannot be asked counts as no roles, and the refusal says so. The terminal (input `stdin`) is
// the local operator, who can run the CLI anyway: neither the allow-list nor the rate limit applies
// to it. Limits: roles are cached 30 s per user (a change of roles takes up to that long), for at
// most 1,000 users at once.
import { createRateLimiter, type RateLimiter } from '../runtime/resilience/rate-limit.ts';
import { forbidden, MicroError } from '../runtime/errors.ts';
import { BOT_DEFAULTS, type ChatUser, type Command, type SafetyOptions } from './bot.ts';

/** The id refusals carry. */
export const SAFETY_ID = 'micro.bot';

/** The inputs whose users are the local operator: trusted with every command, never limited. */
export const TRUSTED_INPUTS: readonly string[] = ['stdin'];

/** Ms a user's roles are remembered. */
const ROLES_TTL = 30_000;
/** Users whose roles are remembered at once. */
const ROLES_KEPT = 1_000;

/** Checks each command a user asks for. */
export interface Safety {
  /** Resolves when the user may run the command now; rejects with a MicroError 403 or 429. */
  check(user: ChatUser, command: Command): Promise<void>;
  /** Stops the rate limiter's sweeps. */
  close(): void;
}

/** The user as the settings name them: `xmpp:alice@example.org`. */
export const userKey = (user: ChatUser): string => `${user.input}:${user.id}`;

/** A user key as compared: an XMPP address in lower case (XMPP ignores its case), the rest as it is (Slack ids are case-sensitive). */
export const sameUser = (key: string): string =>
  key.startsWith('xmpp:') ? key.toLowerCase() : key;

/** Creates the checks from the allow-list, the roles and the rate. */
export function createSafety(o: SafetyOptions): Safety {
  const allow = new Set((o.allow ?? []).map(sameUser));
  const roles = o.roles ?? [...BOT_DEFAULTS.roles];
  const rate = o.rate ?? BOT_DEFAULTS.rate;
  const burst = o.burst ?? Math.max(BOT_DEFAULTS.burst, rate);
  const limiter: RateLimiter | undefined = rate > 0 ? createRateLimiter(rate, burst) : undefined;
  const cache = new Map<string, { roles: readonly string[]; at: number }>();

  /** The user's roles, and why there are none when the auth service could not say. */
  const rolesOf = async (user: ChatUser): Promise<{ roles: readonly string[]; why?: string }> => {
    if (!o.rolesOf) return { roles: [] };
    const key = sameUser(userKey(user));
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ROLES_TTL) return { roles: hit.roles };
    try {
      const found = await o.rolesOf(user);
      cache.delete(key);
      if (cache.size >= ROLES_KEPT) cache.delete(cache.keys().next().value!);
      cache.set(key, { roles: found, at: Date.now() });
      return { roles: found };
    } catch (err) {
      return { roles: [], why: (err as Error).message };
    }
  };

  return {
    async check(user, command) {
      if (TRUSTED_INPUTS.includes(user.input)) return;
      const key = sameUser(userKey(user));
      const wait = limiter?.take(key) ?? 0;
      if (wait > 0) {
        const seconds = Math.max(1, Math.ceil(wait));
        const err = new MicroError(
          SAFETY_ID,
          429,
          `${user.id} sent too many commands (${rate} a second, bursts of ${burst}); try again in ${seconds} s (the limit is MICRO_BOT_RATE and MICRO_BOT_BURST)`,
        );
        err.retryAfter = seconds;
        throw err;
      }
      if (!command.changes && !command.sensitive) return;
      if (allow.has(key) || allow.has(`${user.input}:*`)) return;
      const found = await rolesOf(user);
      if (found.roles.some((r) => roles.includes(r))) return;
      const role =
        roles.length === 1 ? `the role ${roles[0]}` : `one of the roles ${roles.join(', ')}`;
      const unknown = found.why ? ` (its roles could not be read: ${found.why})` : '';
      throw forbidden(
        SAFETY_ID,
        `${user.id} may not run ${command.name}: it ${command.changes ? 'changes state' : "reads the platform's data"}; allow it with MICRO_BOT_ALLOW=${key} or give the account whose metadata chat=${key} ${role}${unknown}`,
      );
    },
    close: () => limiter?.close(),
  };
}
