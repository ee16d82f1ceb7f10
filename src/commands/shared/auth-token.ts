// The token every CLI command sends: MICRO_AUTH_TOKEN when set, else the one `micro login` stored
// for the registry's address, exchanged for a new pair (refresh grant) when it expires within
// REFRESH_MARGIN_MS, the new pair saved. The commands' clients and registries take it from here.
//
// Guarantees: a refresh token is spent at most once across processes (the credentials lock, and a
// re-read under it); a login whose refresh is refused is forgotten with a one-line notice on stderr
// (never the token). Limits: with auth off no token is needed, and a stored one is sent anyway
// (harmless); a command that outlives its token gets a fresh one only through tokenGetter().
import type { TokenRequest, TokenResponse } from '../../platform/auth/auth.ts';
import type { ClientOptions } from '../../runtime/client/rpc-client.ts';
import { MicroError } from '../../runtime/errors.ts';
import type { Metadata } from '../../runtime/metadata.ts';
import type { StoredCredential } from './credentials.ts';
import { CONTROL_PLANE, engineAddress, registryAddress, type GlobalArgs } from './options.ts';

/** The arguments that say which registry, and so which stored login. */
export type TokenArgs = Pick<GlobalArgs, 'registry' | 'registryAddress'>;

/** A stored access token is refreshed when it expires within this many milliseconds. */
export const REFRESH_MARGIN_MS = 60_000;

/** Says where the CLI's credentials go wrong; told apart by this code, never by text. */
export const LOGIN_HINT = 'run "micro login" (or set MICRO_AUTH_TOKEN)';

/** The key of a registry's entry in the credentials file: its address (`etcd://host:port` for engines). */
export function registryKey(argv: TokenArgs): string {
  if (argv.registry === 'micro') return argv.registryAddress || CONTROL_PLANE;
  const address = engineAddress(argv.registry, registryAddress(argv)) ?? 'local';
  return `${argv.registry}://${address}`;
}

/** Exchanges a grant at the auth service (public: no token needed), reached through the registry. */
export async function exchange(
  argv: TokenArgs,
  request: TokenRequest,
  token?: string,
): Promise<TokenResponse> {
  const [{ withConnection }, { createMicroAuth }] = await Promise.all([
    import('./connect.ts'),
    import('../../platform/auth/client.ts'),
  ]);
  return withConnection(argv, ({ client }) => createMicroAuth({ client }).token(request), {
    token: token ?? false,
  });
}

/** The entry to store for a token response. */
export const credentialOf = (id: string, t: TokenResponse, now = Date.now()): StoredCredential => ({
  access_token: t.access_token,
  refresh_token: t.refresh_token,
  expires_at: now + t.expires_in * 1000,
  id,
});

/**
 * The token to send for argv's registry: MICRO_AUTH_TOKEN, else the stored one (refreshed when it
 * expires within REFRESH_MARGIN_MS), else undefined (no login: the server decides).
 */
export async function cliToken(
  argv: TokenArgs,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (env.MICRO_AUTH_TOKEN) return env.MICRO_AUTH_TOKEN;
  const { storedCredential, saveCredential, withCredentialsLock } =
    await import('./credentials.ts');
  const key = registryKey(argv);
  const stored = await storedCredential(key, env);
  if (!stored || stored.expires_at - Date.now() > REFRESH_MARGIN_MS) return stored?.access_token;
  return withCredentialsLock(async () => {
    // Another command may have refreshed it while this one waited for the lock.
    const now = await storedCredential(key, env);
    if (!now || now.expires_at - Date.now() > REFRESH_MARGIN_MS) return now?.access_token;
    try {
      const t = await exchange(
        argv,
        { grant_type: 'refresh_token', refresh_token: now.refresh_token },
        now.expires_at > Date.now() ? now.access_token : undefined,
      );
      await saveCredential(key, credentialOf(now.id, t), env);
      return t.access_token;
    } catch (err) {
      const e = err as Partial<MicroError>;
      // Refused (expired, revoked, reused): the login is over. Unreachable: keep it for later.
      if (e.code !== 400 && e.code !== 401) return now.access_token;
      await saveCredential(key, undefined, env);
      process.stderr.write(`micro: the login of ${now.id} at ${key} has ended; ${LOGIN_HINT}\n`);
      return undefined;
    }
  }, env);
}

/** A getter of the current token for long-running commands (the explorer): refreshed as it nears expiry. */
export function tokenGetter(
  argv: TokenArgs,
  env: NodeJS.ProcessEnv = process.env,
): () => Promise<string | undefined> {
  let current: { token: string | undefined; until: number } | undefined;
  let pending: Promise<string | undefined> | undefined;
  return async () => {
    if (current && Date.now() < current.until) return current.token;
    pending ??= Promise.all([cliToken(argv, env), import('jose')])
      .then(([token, { decodeJwt }]) => {
        let exp = Number.POSITIVE_INFINITY;
        try {
          if (token) exp = (decodeJwt(token).exp ?? Number.POSITIVE_INFINITY) * 1000;
        } catch {
          // Not a JWT: sent as it is, and the server says what is wrong with it.
        }
        current = { token, until: token ? exp - REFRESH_MARGIN_MS : Date.now() + 5000 };
        return token;
      })
      .finally(() => (pending = undefined));
    return pending;
  };
}

/** The metadata with the token as `authorization: Bearer`, unless it names one already. */
const withBearer = (md: Metadata | undefined, token: string | undefined): Metadata | undefined =>
  token && !md?.authorization ? { ...md, authorization: `Bearer ${token}` } : md;

/** Client options sending the token with every call, stream and publish (`authorization: Bearer`). */
export function bearerOptions(
  token: () => Promise<string | undefined>,
): Required<Pick<ClientOptions, 'wrappers' | 'streamWrappers' | 'publishWrappers'>> {
  const signed = async <R extends { options: { metadata?: Metadata } }>(req: R): Promise<R> => ({
    ...req,
    options: { ...req.options, metadata: withBearer(req.options.metadata, await token()) },
  });
  return {
    wrappers: [(next) => async (req) => next(await signed(req))],
    streamWrappers: [(next) => async (req) => next(await signed(req))],
    publishWrappers: [(next) => async (req) => next(await signed(req))],
  };
}

/**
 * An error with the way out added: a 401 says to log in (once). Other errors are left as they are.
 */
export function withLoginHint(err: unknown): unknown {
  const e = err as Partial<MicroError>;
  if (e.code !== 401 || typeof e.detail !== 'string' || e.detail.includes('micro login'))
    return err;
  return new MicroError(e.id ?? 'micro.cli', 401, `${e.detail}; ${LOGIN_HINT}`, e.status);
}

/** Whether `--auth` (or MICRO_AUTH=on, as the services read it) asks the control plane to enforce auth. */
export function authOn(argv: { auth?: boolean }): boolean {
  return argv.auth === true || /^(on|true|1)$/i.test(process.env.MICRO_AUTH ?? '');
}

/** The `--auth` option of the commands that run a control plane. */
export const authOption = {
  type: 'boolean',
  default: false,
  describe:
    'enforce auth: every call needs a token the rules allow; the first start prints the admin secret once [MICRO_AUTH=on]',
} as const;
