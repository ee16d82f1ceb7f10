// The accounts of supervised services: each service the runtime starts runs as the service account
// of its name (type service), created on its first start. Each time supervision of a service begins
// (`micro run -d`, or the control plane starting again and restoring it) the account gets a fresh
// secret, kept in this process's memory only and reused for that service's restarts after a crash
// and its reloads; every new process asks for a fresh token with it (client credentials). The
// secret reaches the process through its environment only (MICRO_AUTH_ID, MICRO_AUTH_SECRET), never
// a command line, the runtime's table, `micro ps` or a log. A user account of the same name is
// never handed to a service: that start is refused.
import { randomBytes } from 'node:crypto';
import { conflict } from '../runtime/errors.ts';
import type { Auth } from '../platform/auth/auth.ts';

/** Makes (or renews) the account a supervised service runs as. */
export interface ServiceAccounts {
  /** Creates the service account `name`, or gives it a fresh secret; returns its id and secret. */
  account(name: string): Promise<{ id: string; secret: string }>;
  /** The variables that give the service its account: MICRO_AUTH=on, MICRO_AUTH_ID and MICRO_AUTH_SECRET. */
  credentials(name: string): Promise<Record<string, string>>;
}

/** The variables of the environment that carry credentials, which no service inherits from micro's. */
export const CREDENTIAL_VARIABLES: readonly string[] = [
  'MICRO_AUTH_ID',
  'MICRO_AUTH_SECRET',
  'MICRO_AUTH_TOKEN',
  'MICRO_AUTH_ADMIN_SECRET',
];

/** The control plane's own service account (its calls to the services it runs); no service may take it. */
export const CONTROL_PLANE_ACCOUNT = 'micro-runtime';

/**
 * The account the API gateway of `micro run --auth` reads the registry with (its calls carry the
 * user's token, not this one); no service may take it.
 */
export const GATEWAY_ACCOUNT = 'micro-gateway';

/** The accounts of micro's own parts, which no supervised service may run as. */
const RESERVED: ReadonlySet<string> = new Set([CONTROL_PLANE_ACCOUNT, GATEWAY_ACCOUNT]);

/** Supervised services' accounts in `auth`. */
export function serviceAccounts(
  auth: Pick<Auth, 'getAccount' | 'createAccount' | 'updateAccount'>,
): ServiceAccounts {
  const accounts: ServiceAccounts = {
    async account(name) {
      const secret = randomBytes(32).toString('base64url');
      const existing = await auth.getAccount(name).catch((err: { code?: number }) => {
        if (err.code === 404) return undefined;
        throw err;
      });
      if (!existing) await auth.createAccount({ id: name, type: 'service', secret });
      else if (existing.type !== 'service')
        throw conflict(
          'runtime',
          `an account ${name} exists and is a ${existing.type}, not a service; run the service under another name (--name)`,
        );
      else await auth.updateAccount(name, { secret });
      return { id: name, secret };
    },
    async credentials(name) {
      if (RESERVED.has(name))
        throw conflict(
          'runtime',
          `${name} is an account of micro's own; run the service under another name (--name)`,
        );
      const { id, secret } = await accounts.account(name);
      return { MICRO_AUTH: 'on', MICRO_AUTH_ID: id, MICRO_AUTH_SECRET: secret };
    },
  };
  return accounts;
}

/** The environment without micro's credentials and auth switch: a service gets only its own. */
export function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of [...CREDENTIAL_VARIABLES, 'MICRO_AUTH']) delete out[name];
  return out;
}
