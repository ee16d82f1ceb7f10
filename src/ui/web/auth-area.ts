// The dashboard's routes to the `auth` service, for its Auth page: accounts (list, create, update,
// delete), rules (list, add, delete), keys (list, rotate) and revoking an account's tokens. Each
// calls the auth service's endpoint over RPC with the logged-in user's token, so the service's own
// rules decide (`auth:accounts|rules|keys:read|write`, admins by the seed rules) and a refusal
// reaches the page as the service answered it (403 naming the account and the resource). A new
// account's secret is in the answer of its creation, and in no other answer.
import { get, post, type PlatformRoute } from './platform.ts';

/** Every route of the Auth page, by its path under /_/api/. */
export const AUTH_ROUTES: Readonly<Record<string, PlatformRoute>> = {
  'auth/accounts': get('auth', 'Auth.ListAccounts'),
  'auth/accounts/create': post('auth', 'Auth.CreateAccount', {
    id: 'text',
    type: 'text',
    roles: 'json',
    scopes: 'json',
    metadata: 'json',
    secret: 'text',
  }),
  'auth/accounts/update': post('auth', 'Auth.UpdateAccount', {
    id: 'text',
    roles: 'json',
    scopes: 'json',
    metadata: 'json',
    disabled: 'boolean',
    secret: 'text',
  }),
  'auth/accounts/delete': post('auth', 'Auth.DeleteAccount', { id: 'text' }),
  'auth/revoke': post('auth', 'Auth.Revoke', { account: 'text' }),
  'auth/rules': get('auth', 'Auth.ListRules'),
  'auth/rules/create': post('auth', 'Auth.CreateRule', {
    id: 'text',
    who: 'text',
    resource: 'json',
    access: 'text',
    priority: 'number',
  }),
  'auth/rules/delete': post('auth', 'Auth.DeleteRule', { id: 'text' }),
  'auth/keys': get('auth', 'Auth.Jwks'),
  'auth/keys/rotate': post('auth', 'Auth.RotateKeys', {}),
};
