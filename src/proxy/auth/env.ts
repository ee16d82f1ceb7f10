// The edges' auth from the environment, for `micro api` and `micro sidecar`: with MICRO_AUTH=on,
// the control plane's Auth (authFromEnv: the OAuth routes and the snapshots), a verifier polling
// its snapshot (MICRO_AUTH_REFRESH), and the edge's own account (MICRO_AUTH_ID + MICRO_AUTH_SECRET,
// or MICRO_AUTH_TOKEN) whose token the Auth's snapshot calls carry; the wrappers give the same token
// to the edge's client (the sidecar's platform calls). Off by default, and then nothing is made.
// `micro run --auth` does not come here: it passes the control plane's in-process Auth and verifier.
import type { Auth } from '../../platform/auth/auth.ts';
import { enforceFromEnv, type Enforcement } from '../../platform/auth/enforce.ts';
import { authFromEnv } from '../../platform/auth/index.ts';
import type { Client } from '../../runtime/client/client.ts';
import { createClient } from '../../runtime/client/rpc-client.ts';
import type { Registry } from '../../registry/registry.ts';
import type { EdgeAuth } from './edge.ts';

/** The edge's auth and what it runs on. */
export interface EnvEdgeAuth extends EdgeAuth {
  /** The edge's own token, guard and client wrappers. */
  readonly enforcement: Enforcement;
  /** Stops polling and closes the Auth's client. */
  close(): Promise<void>;
}

/** Options of edgeAuthFromEnv. */
export interface EdgeEnvOptions {
  /** Where the `auth` service is found when MICRO_AUTH_ADDRESS does not say. */
  registry: Registry;
  /** The id of its refusals (`micro.api`, `micro.sidecar`). */
  id: string;
  /** Told of a failed snapshot poll or token renewal (messages carry no token). */
  onError?: (err: Error) => void;
}

/** The edge's auth when MICRO_AUTH=on, else undefined; a TypeError when its account is not given. */
export function edgeAuthFromEnv(
  env: NodeJS.ProcessEnv,
  o: EdgeEnvOptions,
): EnvEdgeAuth | undefined {
  let auth: Auth | undefined;
  let client: Client | undefined;
  const authOf = (): Auth => {
    if (auth) return auth;
    // Its snapshot calls carry the edge's own token (the wrapper); the token endpoint needs none.
    client = createClient({ registry: o.registry, wrappers: [(next) => (r) => wrap(next)(r)] });
    return (auth = authFromEnv(env, { client }));
  };
  const enforcement = enforceFromEnv(
    env,
    { token: (r) => authOf().token(r), snapshot: () => authOf().snapshot() },
    { id: o.id, onError: o.onError },
  );
  if (!enforcement) return undefined;
  const wrap = enforcement.wrapCall;
  const lazy: EdgeAuth['auth'] = {
    token: (r) => authOf().token(r),
    revoke: (w) => authOf().revoke(w),
    jwks: () => authOf().jwks(),
  };
  return {
    verifier: enforcement.verifier,
    auth: lazy,
    issuer: env.MICRO_AUTH_ISSUER || undefined,
    token: () => enforcement.tokens.token(),
    enforcement,
    async close() {
      enforcement.close();
      await auth?.close();
      await client?.close();
    },
  };
}
