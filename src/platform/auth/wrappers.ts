// The runtime's hooks filled with auth: a server guard that verifies the caller's token and checks
// the rules, and client wrappers that send the service's own token and the end user's.
//
// Guarantees: a call or stream needs `service:<service>:<Endpoint>`, an event delivered to a
// subscriber needs `topic:<topic>:publish` for its publisher, and `Debug.*` endpoints any
// authenticated caller; a request with no token is checked as anonymous (only `public` rules
// allow it); a `micro-user` token is verified like the caller's and becomes `ctx.caller.user`.
// Outgoing calls, streams and publishes carry `authorization: Bearer <own token>` (unless the call
// sets its own) and, when the
// request being served was for a user, `micro-user` with that user's token. A call refused with a
// 401 by the service called is retried once with a renewed token.
import { MicroError } from '../../runtime/errors.ts';
import type {
  CallRequest,
  CallResponse,
  CallWrapper,
  PublishWrapper,
  StreamWrapper,
} from '../../runtime/client/client.ts';
import type { Context } from '../../runtime/context.ts';
import type { Metadata } from '../../runtime/metadata.ts';
import type { Caller, Guard, GuardCall } from '../../runtime/server/guard.ts';
import type { Resource } from './auth.ts';
import { PUBLIC_AUTH_ENDPOINTS } from './rules.ts';
import type { TokenSource } from './token-source.ts';
import { bearer, type Verifier } from './verifier.ts';

/** The metadata key of the end user's token a service calls for. */
export const USER_METADATA = 'micro-user';

/** The same refusal, said by `id` (the service refusing), with `prefix` before its detail. */
const as = (err: unknown, id: string, prefix = ''): unknown =>
  err instanceof MicroError && (err.id !== id || prefix)
    ? new MicroError(id, err.code, prefix + err.detail, err.status)
    : err;

/** The resource a guarded request needs. */
const resourceOf = (call: GuardCall): Resource =>
  call.kind === 'event'
    ? { kind: 'topic', name: call.endpoint, action: 'publish' }
    : { kind: 'service', name: call.service, action: call.endpoint };

/** A server guard verifying `authorization` (and `micro-user`) with `verifier` and its rules. */
export function authGuard(verifier: Verifier): Guard {
  const withUser = (call: GuardCall, caller: Caller): Caller | Promise<Caller> => {
    const userToken = call.metadata[USER_METADATA];
    if (userToken === undefined) return caller;
    const fail = (err: unknown): never => {
      throw as(err, call.service, `${USER_METADATA}: `);
    };
    try {
      const user = verifier.verify(userToken);
      if (user instanceof Promise) return user.then((u) => ({ ...caller, user: u }), fail);
      return { ...caller, user };
    } catch (err) {
      return fail(err);
    }
  };

  // What each caller was allowed, by endpoint (or topic), under the snapshot `version`.
  let version = -1;
  let allowed = {
    calls: new WeakMap<Caller, Set<string>>(),
    events: new WeakMap<Caller, Set<string>>(),
  };
  const admit = (call: GuardCall, caller: Caller): Caller | Promise<Caller> => {
    if (version !== verifier.version) {
      version = verifier.version;
      allowed = { calls: new WeakMap(), events: new WeakMap() };
    }
    const table = call.kind === 'event' ? allowed.events : allowed.calls;
    let seen = table.get(caller);
    if (!seen?.has(call.endpoint)) {
      if (call.kind === 'event' || !call.endpoint.startsWith('Debug.'))
        verifier.authorize(caller, resourceOf(call));
      if (!seen) table.set(caller, (seen = new Set()));
      seen.add(call.endpoint);
    }
    return withUser(call, caller);
  };

  const guard = (call: GuardCall): Caller | undefined | Promise<Caller | undefined> => {
    const token = bearer(call.metadata, call.service);
    if (token === undefined) {
      const anonymous = (): undefined => {
        verifier.authorize(undefined, resourceOf(call));
        return undefined;
      };
      return verifier.ready ? anonymous() : verifier.snapshot().then(anonymous);
    }
    const caller = verifier.verify(token);
    if (caller instanceof Promise) return caller.then((c) => admit(call, c));
    return admit(call, caller);
  };

  return (call) => {
    try {
      const answer = guard(call);
      if (answer instanceof Promise)
        return answer.catch((err: unknown) => {
          throw as(err, call.service);
        });
      return answer;
    } catch (err) {
      throw as(err, call.service);
    }
  };
}

/** The end user's token to send on: the parent's `micro-user`, or its caller's token when a user. */
function userToken(parent: Context | undefined): string | undefined {
  const caller = parent?.caller;
  if (!caller) return undefined;
  if (caller.user) return parent.metadata[USER_METADATA];
  return caller.type === 'user' ? bearer(parent.metadata) : undefined;
}

/** Metadata with this service's `Bearer <token>` (unless it has its own) and the end user's token. */
function outbound(md: Metadata | undefined, parent: Context | undefined, header: string): Metadata {
  const out: Metadata = md ? { authorization: header, ...md } : { authorization: header };
  const user = userToken(parent);
  if (user !== undefined) out[USER_METADATA] = user;
  return out;
}

/** `Bearer <token>`, made once per token rather than once per call. */
function headerOf(): (token: string) => string {
  let last = '';
  let header = '';
  return (token) => (token === last ? header : ((last = token), (header = `Bearer ${token}`)));
}

/** A call wrapper sending the service's token (and the user's); a 401 from the callee renews it once. */
export function authCallWrapper(tokens: TokenSource): CallWrapper {
  const bearerOf = headerOf();
  return (next) => {
    const send = (req: CallRequest, token: string): Promise<CallResponse> => {
      const o = req.options;
      const signed = { ...o, metadata: outbound(o.metadata, o.parent, bearerOf(token)) };
      return next({ ...req, options: signed }).catch(async (err: unknown) => {
        // Only the callee's own refusal: a 401 it passes on from further down is not about this token.
        if (!(err instanceof MicroError && err.code === 401 && err.id === req.service)) throw err;
        if (!(await tokens.renew(token))) throw err;
        const again = bearerOf(await tokens.token());
        return next({ ...req, options: { ...o, metadata: outbound(o.metadata, o.parent, again) } });
      });
    };
    return (req) => {
      // The token endpoint needs none, and getting this very token goes through it.
      if (req.service === 'auth' && PUBLIC_AUTH_ENDPOINTS.includes(req.endpoint)) return next(req);
      const got = tokens.token();
      return typeof got === 'string' ? send(req, got) : got.then((t) => send(req, t));
    };
  };
}

/** A stream wrapper sending the service's token (and the user's) when a stream opens. */
export function authStreamWrapper(tokens: TokenSource): StreamWrapper {
  const bearerOf = headerOf();
  return (next) => async (req) => {
    const token = bearerOf(await tokens.token());
    const o = req.options;
    return next({ ...req, options: { ...o, metadata: outbound(o.metadata, o.parent, token) } });
  };
}

/** A publish wrapper sending the service's token (and the user's) with each message. */
export function authPublishWrapper(tokens: TokenSource): PublishWrapper {
  const bearerOf = headerOf();
  return (next) => async (req) => {
    const token = bearerOf(await tokens.token());
    const o = req.options;
    return next({ ...req, options: { ...o, metadata: outbound(o.metadata, o.parent, token) } });
  };
}
