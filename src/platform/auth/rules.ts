// The one decision every verifier makes, locally: may this caller do this to this resource? Rules
// match by who (any account, public, an account, a role, a scope, a type) and a resource pattern
// (each part exact, `*`, or a prefix ending in `*`); the highest-priority match decides, a deny
// beating an allow of equal priority, and nothing matching is a deny. Built in, before any rule: a
// service account may register and deregister the registry records of its own name, and anyone may
// reach the token endpoint and the keys (`auth` service's Token, Revoke, Jwks) and find the `auth`
// service in the registry (a service has no token before it asked that endpoint for one).
import { forbidden, unauthorized, type MicroError } from '../../runtime/errors.ts';
import type { Caller } from '../../runtime/server/guard.ts';
import type { Resource, ResourcePattern, Rule } from './auth.ts';

/** The auth service's endpoints anyone may call, with no token. */
export const PUBLIC_AUTH_ENDPOINTS: readonly string[] = ['Auth.Token', 'Auth.Revoke', 'Auth.Jwks'];

/** Whether `value` matches `pattern`: equal, `*`, or a prefix ending in `*`. */
export function matches(pattern: string, value: string): boolean {
  if (pattern === '*' || pattern === value) return true;
  return pattern.endsWith('*') && value.startsWith(pattern.slice(0, -1));
}

/** Whether the rule's `who` takes in the caller (undefined: no token). */
export function covers(who: string, caller: Caller | undefined): boolean {
  if (who === 'public') return true;
  if (!caller) return false;
  if (who === '*') return true;
  const colon = who.indexOf(':');
  const kind = who.slice(0, colon);
  const name = who.slice(colon + 1);
  switch (kind) {
    case 'account':
      return caller.id === name;
    case 'role':
      return caller.roles.includes(name);
    case 'scope':
      return caller.scopes.includes(name);
    case 'type':
      return caller.type === name;
    default:
      return false;
  }
}

const patternMatches = (p: ResourcePattern, r: Resource): boolean =>
  (p.kind === '*' || p.kind === r.kind) && matches(p.name, r.name) && matches(p.action, r.action);

/** Whether something built in allows it, whatever the rules say. */
function builtIn(caller: Caller | undefined, r: Resource): boolean {
  if (r.kind === 'service' && r.name === 'auth' && PUBLIC_AUTH_ENDPOINTS.includes(r.action))
    return true;
  if (r.kind === 'registry' && r.name === 'auth' && r.action === 'read') return true;
  return (
    r.kind === 'registry' &&
    (r.action === 'register' || r.action === 'deregister') &&
    caller?.type === 'service' &&
    caller.id === r.name
  );
}

/** `allow` or `deny`, and the rule that decided (none: built in, or nothing matched). */
export function decide(
  rules: readonly Rule[],
  caller: Caller | undefined,
  resource: Resource,
): { access: 'allow' | 'deny'; rule?: Rule } {
  if (builtIn(caller, resource)) return { access: 'allow' };
  let best: Rule | undefined;
  for (const rule of rules) {
    if (!covers(rule.who, caller) || !patternMatches(rule.resource, resource)) continue;
    if (
      !best ||
      rule.priority > best.priority ||
      (rule.priority === best.priority && rule.access === 'deny')
    )
      best = rule;
  }
  return best ? { access: best.access, rule: best } : { access: 'deny' };
}

/** How a resource reads in a refusal: `service greeter Say.Hello`. */
export const describeResource = (r: Resource): string => `${r.kind} ${r.name} ${r.action}`;

/**
 * Undefined when allowed; else the refusal to throw: a 401 for no token (say how to get one), a
 * 403 naming the account and the resource (never a token).
 */
export function refusal(
  id: string,
  rules: readonly Rule[],
  caller: Caller | undefined,
  resource: Resource,
): MicroError | undefined {
  if (decide(rules, caller, resource).access === 'allow') return undefined;
  if (!caller)
    return unauthorized(
      id,
      `${describeResource(resource)} needs a token: send Authorization: Bearer <token> (micro login, or the token endpoint)`,
    );
  return forbidden(
    id,
    `account ${caller.id} may not ${describeResource(resource)}: no rule allows it (micro auth rules)`,
  );
}

/**
 * The rules a fresh auth starts with: admins do anything; services use services, topics and the
 * platform, but not the runtime (which starts processes, and hands each its service account);
 * accounts read the registry and report audit records.
 */
export function seedRules(): Rule[] {
  const rule = (id: string, who: string, kind: ResourcePattern['kind'], priority = 0): Rule => ({
    id,
    who,
    resource: { kind, name: '*', action: '*' },
    access: 'allow',
    priority,
  });
  return [
    rule('admin', 'role:admin', '*', 100),
    {
      ...rule('registry-read', '*', 'registry'),
      resource: { kind: 'registry', name: '*', action: 'read' },
    },
    ...(['service', 'topic', 'store', 'config', 'sync', 'db'] as const).map((k) =>
      rule(`services-${k}`, 'type:service', k),
    ),
    // Edges report what they did for their users (micro mcp); the audit service stamps who reported.
    {
      ...rule('audit-report', '*', 'service'),
      resource: { kind: 'service', name: 'audit', action: 'Audit.Report' },
    },
    {
      ...rule('services-no-runtime', 'type:service', 'service', 1),
      resource: { kind: 'service', name: 'runtime', action: '*' },
      access: 'deny',
    },
  ];
}
