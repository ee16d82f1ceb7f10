// The first start of auth: when there is no account, make `admin` (a user with role admin) with
// MICRO_AUTH_ADMIN_SECRET or a generated secret, and seed the rules of seedRules(). Nothing here
// logs: the caller (the control plane) prints the generated secret once, with bootstrapLines.
import type { Auth } from './auth.ts';
import { seedRules } from './rules.ts';

/**
 * Makes the first admin and the seed rules when `auth` has no account; returns the secret it
 * generated (to print once), or undefined when it made nothing or the secret came from
 * MICRO_AUTH_ADMIN_SECRET.
 */
export async function bootstrapAuth(
  auth: Auth,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if ((await auth.listAccounts()).length > 0) return undefined;
  const given = env.MICRO_AUTH_ADMIN_SECRET || undefined;
  const { secret } = await auth.createAccount({
    id: 'admin',
    type: 'user',
    roles: ['admin'],
    ...(given && { secret: given }),
  });
  for (const rule of seedRules()) await auth.createRule(rule);
  return given ? undefined : secret;
}

/** What the control plane prints, once, for a generated admin secret. */
export const bootstrapLines = (secret: string): string[] => [
  `auth: created account admin; its secret (shown once): ${secret}`,
  'log in with: micro login --id admin',
];
