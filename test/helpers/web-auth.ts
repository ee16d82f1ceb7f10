// A dashboard with auth on, in this process, for the dashboard's auth tests: a memory Auth
// (bootstrapped: admin and the seed rules) served as the `auth` service, a greeter, both guarded
// by authGuard as every service is with MICRO_AUTH=on, and the dashboard with its `auth` option.
import { authHandler } from '../../src/platform/auth/service.ts';
import { bootstrapAuth } from '../../src/platform/auth/bootstrap.ts';
import { createAuthEngine } from '../../src/platform/auth/engine.ts';
import { memoryAuthStorage } from '../../src/platform/auth/memory.ts';
import { createVerifier, type Verifier } from '../../src/platform/auth/verifier.ts';
import { authGuard } from '../../src/platform/auth/wrappers.ts';
import type { Auth } from '../../src/platform/auth/auth.ts';
import {
  createClient,
  createMemoryRegistry,
  type Client,
  type Registry,
  type Service,
} from '../../src/runtime/index.ts';
import assert from 'node:assert/strict';
import { startWeb, type Web, type WebOptions } from '../../src/ui/web/index.ts';
import { closeAll, greeterService, postJson, quietService } from './fixtures.ts';
import type { SigningKey } from './tokens.ts';

/** The admin's secret in these tests. */
export const ADMIN_SECRET = 'admin-secret-for-tests';

/** A running dashboard with auth on, and what it runs over. */
export interface AuthedWeb {
  base: string;
  auth: Auth;
  verifier: Verifier;
  registry: Registry;
  client: Client;
  web: Web;
  /** The key tokens are signed with now. */
  key(): SigningKey;
  /** Moves the Auth's clock (tokens it issues from now on), in ms from the real one. */
  skew(ms: number): void;
  close(): Promise<void>;
}

/** Starts it all on 127.0.0.1 with free ports; `extra` adds dashboard options (areas). */
export async function startAuthedWeb(
  extra: Omit<Partial<WebOptions>, 'auth'> = {},
): Promise<AuthedWeb> {
  let skew = 0;
  const storage = memoryAuthStorage();
  const auth = createAuthEngine('memory', storage, { now: () => Date.now() + skew });
  await bootstrapAuth(auth, { MICRO_AUTH_ADMIN_SECRET: ADMIN_SECRET });
  await auth.jwks();
  const verifier = createVerifier({ source: auth, refresh: 100 });
  await verifier.snapshot();
  const registry = createMemoryRegistry();
  const guard = authGuard(verifier);
  const authService: Service = quietService({
    name: 'auth',
    registry,
    address: '127.0.0.1:0',
    guard,
  });
  authService.handle('Auth', authHandler(auth, { env: { MICRO_AUTH: 'on' } }));
  const greeter = greeterService(registry, { guard });
  await Promise.all([authService.start(), greeter.start()]);
  const client = createClient({ registry });
  const web = await startWeb({
    address: '127.0.0.1:0',
    registry,
    client,
    ...extra,
    auth: { auth, verifier },
  });
  return {
    base: `http://${web.address}`,
    auth,
    verifier,
    registry,
    client,
    web,
    key() {
      const k = storage.keys().find((x) => x.retired === null);
      if (!k) throw new Error('no signing key');
      return { kid: k.kid, jwk: k.jwk };
    },
    skew(ms) {
      skew = ms;
    },
    async close() {
      verifier.close();
      await closeAll(web, greeter, authService, client, auth, registry);
    },
  };
}

/** Logs in through the dashboard at base; resolves with the session cookie (`name=value`). */
export async function loginCookie(base: string, id: string, secret: string): Promise<string> {
  const res = await postJson(`${base}/_/api/login`, { id, secret });
  assert.equal(res.status, 200, await res.clone().text());
  assert.doesNotMatch(await res.text(), /eyJ|mrt_/, 'no token in the body');
  const set = res.headers.getSetCookie();
  assert.equal(set.length, 1, `one Set-Cookie: ${set.length}`);
  return set[0]!.split(';')[0]!.trim();
}

/** A request to the dashboard at base with a session cookie, and a JSON body when given. */
export function fetchAs(
  base: string,
  cookie: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: { cookie, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}
