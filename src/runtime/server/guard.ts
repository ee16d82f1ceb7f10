// The server's one hook for authentication and authorisation: the runtime knows no accounts, keys
// or rules (the platform's auth, src/platform/auth, fills the hook), only that a guard, when given,
// sees every call, stream and delivered event before its handler and either names the caller or
// refuses with a MicroError (401: no or bad credentials; 403: not allowed).
import type { Metadata } from '../metadata.ts';

/** Who is calling, as a guard established it; handlers read it as `ctx.caller`. */
export interface Caller {
  /** The account's id (a service account's id is usually its service's name). */
  readonly id: string;
  /** `user` or `service`. */
  readonly type: string;
  /** Roles the account holds (e.g. `admin`). */
  readonly roles: readonly string[];
  /** Scopes the token grants. */
  readonly scopes: readonly string[];
  /** The account's labels. */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * The end user a service calls for, when the call carries one (`micro-user` metadata), already
   * verified like the caller. A call straight from a user has none: the caller is the user.
   */
  readonly user?: Caller;
}

/** What a guard is shown of one request, before anything of it is decoded. */
export interface GuardCall {
  /** This service's name. */
  readonly service: string;
  /** `Handler.Method`, or the topic of a delivered event. */
  readonly endpoint: string;
  /** A unary call, a stream being opened, or an event delivered to a subscriber. */
  readonly kind: 'call' | 'stream' | 'event';
  /** The request's metadata: `authorization` carries `Bearer <token>`. */
  readonly metadata: Metadata;
  /** `host:port` of the peer. */
  readonly remote: string;
}

/**
 * Names the caller of a request (undefined: anonymous, and allowed), or throws a MicroError (401 or
 * 403) to refuse it. Synchronous when it can be (a cached token), so that a call pays no await.
 */
export type Guard = (call: GuardCall) => Caller | undefined | Promise<Caller | undefined>;
