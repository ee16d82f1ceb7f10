// The `micro` Auth, every service's default: the Auth interface served by the control plane's
// `auth` service, called through a runtime Client (the service's own, or one made for the control
// plane at `address`, 127.0.0.1:8000 by default). Input is checked here first with the server's own
// check, so a bad call fails at once with the error the server would give; the server's errors
// come back as raised, the token endpoint's as OAuthErrors again. Every method checks in its
// promise: bad input is a rejection, never a throw. Admin calls need a token when
// the control plane enforces auth: give `token` (the CLI's stored login), sent as
// `authorization: Bearer`. Nothing here logs a token or a secret.
import type { Client } from '../../runtime/client/client.ts';
import { MicroError, toMicroError } from '../../runtime/errors.ts';
import { CONTROL_PLANE_ADDRESS, connect } from '../store/client.ts';
import type { Account, Auth, AuthSnapshot, Jwks, Rule, TokenResponse } from './auth.ts';
import { asOAuthError, AUTH_ID } from './errors.ts';
import {
  checkAccountId,
  checkAccountInput,
  checkAccountUpdate,
  checkRevoke,
  checkRule,
} from './validate.ts';
import { checkTokenRequest } from './token-request.ts';

/** Options of the control plane's Auth client. */
export interface MicroAuthOptions {
  /** The control plane (host:port) when no client is given. */
  address?: string;
  /** The client to call through (a service's own); without it one is made for `address`. */
  client?: Client;
  /** Ms a call waits (default 5,000). */
  timeout?: number;
  /** The token admin calls carry (a string, or a function giving one per call). */
  token?: string | (() => string | undefined | Promise<string | undefined>);
}

/** An Auth that calls the control plane's `auth` service. */
export function createMicroAuth(options: MicroAuthOptions = {}): Auth {
  const address = options.address ?? CONTROL_PLANE_ADDRESS;
  const timeout = options.timeout ?? 5000;
  let own: Promise<Client> | undefined;
  const client = (): Promise<Client> =>
    options.client ? Promise.resolve(options.client) : (own ??= connect(address));
  const where = options.client ? 'the auth service' : `the auth service at ${address}`;

  const call = async <T>(endpoint: string, body: object): Promise<T> => {
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    try {
      return await (
        await client()
      ).call<T>('auth', `Auth.${endpoint}`, body, {
        timeout,
        ...(token && { metadata: { authorization: `Bearer ${token}` } }),
      });
    } catch (err) {
      throw explain(toMicroError(err, AUTH_ID), where);
    }
  };

  return {
    name: 'micro',
    createAccount: async (input) =>
      call<{ account: Account; secret: string }>('CreateAccount', checkAccountInput(input)),
    getAccount: async (id) =>
      (await call<{ account: Account }>('GetAccount', { id: checkAccountId(id) })).account,
    listAccounts: async () => (await call<{ accounts: Account[] }>('ListAccounts', {})).accounts,
    updateAccount: async (id, update) =>
      (
        await call<{ account: Account }>('UpdateAccount', {
          ...checkAccountUpdate(update),
          id: checkAccountId(id),
        })
      ).account,
    deleteAccount: async (id) => void (await call('DeleteAccount', { id: checkAccountId(id) })),
    listRules: async () => (await call<{ rules: Rule[] }>('ListRules', {})).rules,
    createRule: async (rule) => {
      checkRule(rule, () => 'unchecked');
      return (await call<{ rule: Rule }>('CreateRule', rule)).rule;
    },
    deleteRule: async (id) => void (await call('DeleteRule', { id })),
    token: async (request) => call<TokenResponse>('Token', checkTokenRequest(request)),
    revoke: async (what) => void (await call('Revoke', checkRevoke(what))),
    jwks: () => call<Jwks>('Jwks', {}),
    rotateKeys: () => call<Jwks>('RotateKeys', {}),
    snapshot: () => call<AuthSnapshot>('Snapshot', {}),
    async close() {
      if (own) await (await own).close();
    },
  };
}

/** Who the control plane's token says the caller is (`Auth.Whoami`): not part of Auth, for the CLI. */
export async function whoami(auth: MicroAuthOptions): Promise<Account> {
  const { client: given, address = CONTROL_PLANE_ADDRESS, timeout = 5000 } = auth;
  const token = typeof auth.token === 'function' ? await auth.token() : auth.token;
  const c = given ?? (await connect(address));
  try {
    return await c.call<Account>(
      'auth',
      'Auth.Whoami',
      {},
      {
        timeout,
        ...(token && { metadata: { authorization: `Bearer ${token}` } }),
      },
    );
  } catch (err) {
    throw explain(
      toMicroError(err, AUTH_ID),
      given ? 'the auth service' : `the auth service at ${address}`,
    );
  } finally {
    if (!given) await c.close();
  }
}

/** Auth's own errors as raised (OAuth ones as OAuthErrors); failures to reach it say where and what to do. */
function explain(err: MicroError, where: string): MicroError {
  if (err.id === AUTH_ID) return asOAuthError(err);
  if (err.code < 404 || err.code === 409) return err;
  const hint = /micro run/.test(err.detail) ? '' : '; start the control plane with "micro run"';
  return new MicroError(
    AUTH_ID,
    err.code === 404 ? 503 : err.code,
    `no answer from ${where} (${err.detail})${hint}`,
  );
}
