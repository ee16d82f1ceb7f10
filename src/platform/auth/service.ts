// The control plane's `auth` service: any Auth served over RPC as the `Auth` handler (Token,
// Revoke, Jwks, Snapshot, Whoami, CreateAccount, GetAccount, ListAccounts, UpdateAccount,
// DeleteAccount, ListRules, CreateRule, DeleteRule, RotateKeys), so `micro call auth Auth.Token
// '{"grant_type":"client_credentials",...}'` gets what an Auth gives in-process. Requests are closed
// (an unknown field is a 400 naming it) except Token's, whose unknown fields are ignored (RFC 6749
// 3.2) and whose refusals carry `error`/`error_description`. Token, Revoke of a token and Jwks are
// public. When a caller guard is active (ctx.caller set, or MICRO_AUTH=on in the control plane's
// environment) Snapshot and Whoami need a caller, accounts, rules and keys need
// `auth:accounts|rules|keys:read|write` and revoking another account `auth:tokens:write`, decided by
// the one rule engine (rules.ts); with auth off (the default) they are open, as every service is.
import type { StandardJSONSchemaV1, StandardSchemaV1 } from '@standard-schema/spec';
import type { Context } from '../../runtime/context.ts';
import { unauthorized } from '../../runtime/errors.ts';
import { passedAsIs } from '../../runtime/server/closed.ts';
import { endpoint } from '../../runtime/server/declare.ts';
import type { Caller } from '../../runtime/server/guard.ts';
import type { Handler } from '../../runtime/server/handler.ts';
import type { HostContext, Hosted } from '../hosting.ts';
import type { AccountInput, Auth, TokenRequest } from './auth.ts';
import { AUTH_ID, OAuthError } from './errors.ts';
import { refusal } from './rules.ts';

const str = (description: string) => ({ type: 'string', description });
const names = (what: string) => ({
  type: 'array',
  maxItems: 32,
  items: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' },
  description: what,
});
const ID = { type: 'string', pattern: '^[A-Za-z0-9._@-]{1,128}$', description: 'the account id' };
const ACCOUNT = {
  roles: names('roles (admin...)'),
  scopes: names('scopes tokens may carry'),
  metadata: { type: 'object', additionalProperties: { type: 'string' }, description: 'labels' },
  secret: { type: 'string', minLength: 12, description: 'at least 12 characters' },
};
/** The request as is, once closed() found only its fields (the engine checks the values). */
const asIs = passedAsIs(AUTH_ID, 'Auth');

const TOKEN_SCHEMA = {
  type: 'object',
  required: ['grant_type'],
  properties: {
    grant_type: { enum: ['client_credentials', 'password', 'refresh_token'] },
    client_id: str('client_credentials: the account id'),
    client_secret: str("client_credentials: the account's secret"),
    username: str('password: the account id'),
    password: str("password: the account's secret"),
    refresh_token: str('refresh_token: a refresh token, used once'),
    scope: str("space-separated, a subset of the account's scopes"),
  },
};

/** Token's request: any object (unknown fields ignored); anything else an invalid_request. */
const tokenRequest: StandardSchemaV1<unknown, TokenRequest> & StandardJSONSchemaV1 = {
  '~standard': {
    version: 1,
    vendor: 'micro',
    validate(value) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new OAuthError('invalid_request', 'a token request must be a JSON object');
      return { value: value as TokenRequest };
    },
    jsonSchema: {
      input: () => structuredClone(TOKEN_SCHEMA),
      output: () => structuredClone(TOKEN_SCHEMA),
    },
  },
};

/** Who calls: the guard's caller, when a guard named one. */
const callerOf = (ctx: Context): Caller | undefined => (ctx as { caller?: Caller }).caller;

/** Options of the Auth handler. */
export interface AuthHandlerOptions {
  /** The control plane's environment: MICRO_AUTH=on makes every check apply even with no caller. */
  env?: NodeJS.ProcessEnv;
}

/** The Auth handler: any Auth, served to other processes as the `auth` service. */
export function authHandler(auth: Auth, options: AuthHandlerOptions = {}): Handler {
  const on = options.env?.MICRO_AUTH === 'on';
  const guarded = (ctx: Context): boolean => on || callerOf(ctx) !== undefined;
  const need = async (ctx: Context, name: string, action: 'read' | 'write'): Promise<void> => {
    if (!guarded(ctx)) return;
    const refused = refusal(AUTH_ID, await auth.listRules(), callerOf(ctx), {
      kind: 'auth',
      name,
      action,
    });
    if (refused) throw refused;
  };
  const someone = (ctx: Context, what: string): Caller | undefined => {
    const caller = callerOf(ctx);
    if (!caller && guarded(ctx))
      throw unauthorized(
        AUTH_ID,
        `${what} needs a token: send Authorization: Bearer <token> (micro login)`,
      );
    return caller;
  };
  return {
    Token: endpoint({ request: tokenRequest }, (req) => auth.token(req)),
    Revoke: endpoint(
      { request: asIs('Revoke', { token: str('an access or refresh token'), account: ID }) },
      async (req, ctx) => {
        // An account may revoke its own tokens (log out everywhere); others' need the rules.
        if (req.account !== undefined && req.account !== callerOf(ctx)?.id)
          await need(ctx, 'tokens', 'write');
        await auth.revoke(req as { token: string });
        return {};
      },
    ),
    Jwks: endpoint({ request: asIs('Jwks', {}) }, () => auth.jwks()),
    Snapshot: endpoint({ request: asIs('Snapshot', {}) }, async (_req, ctx) => {
      someone(ctx, 'the auth snapshot');
      return auth.snapshot();
    }),
    Whoami: endpoint({ request: asIs('Whoami', {}) }, async (_req, ctx) => {
      const caller = someone(ctx, 'whoami');
      if (!caller)
        throw unauthorized(
          AUTH_ID,
          'whoami needs a token, and auth is off here: nobody is calling',
        );
      return auth.getAccount(caller.id);
    }),
    CreateAccount: endpoint(
      {
        request: asIs(
          'CreateAccount',
          { id: ID, type: { enum: ['user', 'service'] }, ...ACCOUNT },
          ['id', 'type'],
        ),
      },
      async (req, ctx) => {
        await need(ctx, 'accounts', 'write');
        return auth.createAccount(req as unknown as AccountInput);
      },
    ),
    GetAccount: endpoint({ request: asIs('GetAccount', { id: ID }, ['id']) }, async (req, ctx) => {
      await need(ctx, 'accounts', 'read');
      return { account: await auth.getAccount(req.id as string) };
    }),
    ListAccounts: endpoint({ request: asIs('ListAccounts', {}) }, async (_req, ctx) => {
      await need(ctx, 'accounts', 'read');
      return { accounts: await auth.listAccounts() };
    }),
    UpdateAccount: endpoint(
      {
        request: asIs(
          'UpdateAccount',
          {
            id: ID,
            ...ACCOUNT,
            disabled: { type: 'boolean', description: 'no tokens while true' },
          },
          ['id'],
        ),
      },
      async (req, ctx) => {
        await need(ctx, 'accounts', 'write');
        const { id, ...update } = req;
        return { account: await auth.updateAccount(id as string, update) };
      },
    ),
    DeleteAccount: endpoint(
      { request: asIs('DeleteAccount', { id: ID }, ['id']) },
      async (req, ctx) => {
        await need(ctx, 'accounts', 'write');
        await auth.deleteAccount(req.id as string);
        return {};
      },
    ),
    ListRules: endpoint({ request: asIs('ListRules', {}) }, async (_req, ctx) => {
      await need(ctx, 'rules', 'read');
      return { rules: await auth.listRules() };
    }),
    CreateRule: endpoint(
      {
        request: asIs(
          'CreateRule',
          {
            id: str('unique; generated when absent, replaces the rule of that id when given'),
            who: str('*, public, account:<id>, role:<role>, scope:<scope>, type:user|service'),
            resource: {
              type: 'object',
              properties: {
                kind: { type: 'string' },
                name: { type: 'string' },
                action: { type: 'string' },
              },
              description: 'each part exact, * or a prefix ending in *',
            },
            access: { enum: ['allow', 'deny'] },
            priority: { type: 'integer', description: 'the highest matching decides; default 0' },
          },
          ['who', 'resource', 'access'],
        ),
      },
      async (req, ctx) => {
        await need(ctx, 'rules', 'write');
        return { rule: await auth.createRule(req as unknown as Parameters<Auth['createRule']>[0]) };
      },
    ),
    DeleteRule: endpoint(
      { request: asIs('DeleteRule', { id: str('the rule id') }, ['id']) },
      async (req, ctx) => {
        await need(ctx, 'rules', 'write');
        await auth.deleteRule(req.id as string);
        return {};
      },
    ),
    RotateKeys: endpoint({ request: asIs('RotateKeys', {}) }, async (_req, ctx) => {
      await need(ctx, 'keys', 'write');
      return auth.rotateKeys();
    }),
  };
}

/** Hosts the auth service on the control plane's SQLite (micro.db); `auth` is the Auth it serves. */
export async function hostAuth(context: HostContext): Promise<Hosted & { auth: Auth }> {
  const [{ createSqliteAuth }, { authOptionsFromEnv }] = await Promise.all([
    import('./sqlite.ts'),
    import('./options.ts'),
  ]);
  const auth = createSqliteAuth({
    path: context.dbPath,
    nativeBinding: context.nativeBinding,
    ...authOptionsFromEnv(context.env),
  });
  return {
    auth,
    handlers: { Auth: authHandler(auth, { env: context.env }) },
    close: () => auth.close(),
  };
}
