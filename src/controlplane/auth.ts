// The control plane's auth, when it enforces it (`micro run --auth`, MICRO_AUTH=on): the verifier
// of its own services, fed in process from its Auth (no RPC to itself; rules, keys and revocations
// reread every MICRO_AUTH_REFRESH, 2 s), the first start's admin account, and each service's guard.
// The services that check their own resources (registry records, store namespaces, config paths,
// topics, locks, collections, accounts) only learn who calls at the guard; the others (runtime)
// need `service:<name>:<Endpoint>` there. `Debug.*` takes any valid token. Nothing here logs a
// token or a secret: the admin secret is handed back once, for the command to print.
import { unauthorized } from '../runtime/errors.ts';
import { msFromEnv } from '../runtime/defaults.ts';
import type { Caller, Guard, GuardCall } from '../runtime/server/guard.ts';
import type { Authorize } from '../platform/access.ts';
import type { Auth } from '../platform/auth/auth.ts';
import type { HostContext, Hosted } from '../platform/hosting.ts';
import { platformHosts } from '../platform/hosts.ts';
import type { TokenSource } from '../platform/auth/token-source.ts';
import type { Verifier } from '../platform/auth/verifier.ts';
import {
  CONTROL_PLANE_ACCOUNT,
  serviceAccounts,
  type ServiceAccounts,
} from './service-accounts.ts';

/** The control plane's services that authorize their own resources in their handlers. */
export const SELF_CHECKED: ReadonlySet<string> = new Set([
  'registry',
  'store',
  'config',
  'sync',
  'events',
  'db',
  'auth',
]);

/** The control plane's auth, ready for its services. */
export interface PlaneAuth {
  /** The control plane's Auth, in process. */
  readonly auth: Auth;
  /** The admin secret made on this first start, to be printed once; undefined on later starts. */
  readonly adminSecret: string | undefined;
  /** Checks a caller against the rules (401 anonymous, 403 not allowed). */
  readonly authorize: Authorize;
  /** Its verifier, fed in process: the gateway and dashboard `micro run` serves verify with it too. */
  readonly verifier: Verifier;
  /** The guard of the control plane's service of this name. */
  guard(service: string): Guard;
  /** The accounts of the services it runs. */
  readonly accounts: ServiceAccounts;
  /**
   * Its own token (service account `micro-runtime`, a fresh secret each start, in memory only),
   * for its own calls to the services it runs (a reloaded service's Debug.Health).
   */
  readonly tokens: TokenSource;
  close(): void | Promise<void>;
}

/** Makes the control plane's auth: the admin account on first start, the verifier, the guards. */
export async function planeAuth(auth: Auth, env: NodeJS.ProcessEnv): Promise<PlaneAuth> {
  const [{ bootstrapAuth }, { bearer, createVerifier }, { tokenSource }] = await Promise.all([
    import('../platform/auth/bootstrap.ts'),
    import('../platform/auth/verifier.ts'),
    import('../platform/auth/token-source.ts'),
  ]);
  const adminSecret = await bootstrapAuth(auth, env);
  const accounts = serviceAccounts(auth);
  const tokens = tokenSource({ auth }, await accounts.account(CONTROL_PLANE_ACCOUNT));
  const verifier = createVerifier({
    source: auth,
    issuer: env.MICRO_AUTH_ISSUER || undefined,
    audience: env.MICRO_AUTH_AUDIENCE || undefined,
    refresh: msFromEnv('MICRO_AUTH_REFRESH', 2000, env),
    id: 'micro.auth',
  });
  // Serving only once it can decide: the first snapshot, read in process.
  await verifier.snapshot();
  const authorize: Authorize = (caller, resource) => verifier.authorize(caller, resource);
  const identify = (call: GuardCall): Caller | undefined | Promise<Caller> => {
    const token = bearer(call.metadata, call.service);
    return token === undefined ? undefined : verifier.verify(token);
  };
  const decide = (call: GuardCall, caller: Caller | undefined): Caller | undefined => {
    if (call.endpoint.startsWith('Debug.')) {
      if (!caller)
        throw unauthorized(
          call.service,
          `${call.endpoint} needs a token: send Authorization: Bearer <token>`,
        );
    } else if (!SELF_CHECKED.has(call.service))
      authorize(caller, { kind: 'service', name: call.service, action: call.endpoint });
    return caller;
  };
  return {
    auth,
    adminSecret: adminSecret ?? undefined,
    authorize,
    verifier,
    accounts,
    tokens,
    guard: () => (call) => {
      const caller = identify(call);
      return caller instanceof Promise ? caller.then((c) => decide(call, c)) : decide(call, caller);
    },
    close: () => verifier.close(),
  };
}

/**
 * Hosts the `auth` area ahead of the others (every service's guard needs it) and makes the
 * control plane's auth of its Auth; sets the context's authorize for the areas hosted after.
 */
export async function hostPlaneAuth(
  context: HostContext,
): Promise<{ hosted: Hosted; plane: PlaneAuth }> {
  const host = platformHosts.auth;
  if (!host) throw new Error('this build has no auth area to enforce auth with');
  // The auth area reads the switch from the environment too (its own endpoints' checks).
  context.env = { ...context.env, MICRO_AUTH: 'on' };
  const hosted = await host(context);
  try {
    if (!hosted.auth) throw new Error('the auth area gave no Auth to enforce auth with');
    const plane = await planeAuth(hosted.auth, context.env);
    context.authorize = plane.authorize;
    return { hosted, plane };
  } catch (err) {
    await hosted.close();
    throw err;
  }
}
