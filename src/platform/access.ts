// The platform services' own access checks. A control plane with auth on gives the services it
// hosts an Authorize (its verifier's authorize, over the one rule engine of src/platform/auth/rules.ts),
// and each area names the resource a call touches at the one place where it knows the namespace.
// With auth off there is none, and every check is a no-op: nothing changes for a caller.
import type { Context } from '../runtime/context.ts';
import type { Caller } from '../runtime/server/guard.ts';
import type { Resource, ResourceKind } from './auth/auth.ts';

/** Throws a MicroError (401 no or bad token, 403 not allowed) unless the caller may do this. */
export type Authorize = (caller: Caller | undefined, resource: Resource) => void;

/** Checks the caller of a request against `<kind>:<name>:<action>`; throws the refusal. */
export type Check = (ctx: Context, kind: ResourceKind, name: string, action: string) => void;

/** The check a handler runs: the caller of ctx against authorize, or nothing when auth is off. */
export function accessCheck(authorize: Authorize | undefined): Check {
  if (!authorize) return () => undefined;
  return (ctx, kind, name, action) => authorize(ctx.caller, { kind, name, action });
}
