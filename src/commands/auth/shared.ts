// What the `micro auth`, `micro login` and `micro whoami` commands share: the control plane's auth
// service through this command's client (which sends the CLI's token), and how accounts, rules and
// resources read as text. No secret or token is ever part of a row.
import type { Account, Auth, ResourcePattern, Rule } from '../../platform/auth/auth.ts';
import type { Client } from '../../runtime/client/client.ts';
import { badRequest } from '../../runtime/errors.ts';
import type { Args } from '../shared/command.ts';
import type { OpenOptions } from '../shared/connect.ts';
import { table } from '../shared/output.ts';

/** Runs fn with the control plane's auth service (and the client for its other endpoints, Auth.Whoami), sending the CLI's token. */
export async function withAuth<T>(
  args: Args<object>,
  fn: (auth: Auth, client: Client) => Promise<T>,
  options: OpenOptions = {},
): Promise<T> {
  const [{ withConnection }, { createMicroAuth }] = await Promise.all([
    import('../shared/connect.ts'),
    import('../../platform/auth/client.ts'),
  ]);
  return withConnection(
    args,
    async ({ client }) => {
      const auth = createMicroAuth({ client });
      try {
        return await fn(auth, client);
      } finally {
        await auth.close();
      }
    },
    options,
  );
}

/** A list for a cell: comma separated, `-` when empty. */
const list = (xs: readonly string[] | undefined): string =>
  xs && xs.length > 0 ? xs.join(', ') : '-';

/** The accounts as a table: ID TYPE ROLES SCOPES CREATED STATE. */
export function accountsTable(accounts: readonly Account[]): string {
  if (accounts.length === 0) return 'no accounts';
  return table(
    ['ID', 'TYPE', 'ROLES', 'SCOPES', 'CREATED', 'STATE'],
    accounts.map((a) => [
      a.id,
      a.type,
      list(a.roles),
      list(a.scopes),
      new Date(a.created).toISOString(),
      a.disabled ? 'disabled' : 'active',
    ]),
  );
}

/** One account, a field a line. */
export function accountText(a: Account): string {
  const meta = Object.entries(a.metadata ?? {}).map(([k, v]) => `${k}=${v}`);
  return [
    `id:       ${a.id}`,
    `type:     ${a.type}`,
    `roles:    ${list(a.roles)}`,
    `scopes:   ${list(a.scopes)}`,
    `metadata: ${list(meta)}`,
    `created:  ${new Date(a.created).toISOString()}`,
    `state:    ${a.disabled ? 'disabled' : 'active'}`,
  ].join('\n');
}

/** A resource pattern as typed: `service:greeter:Say.*`. */
export const resourceText = (r: ResourcePattern): string => `${r.kind}:${r.name}:${r.action}`;

/**
 * Reads `kind:name:action` (`service:greeter:*`; `kind:name` means any action, `*` anything); the
 * name may hold colons (the middle part). The auth service checks the kind and the rest.
 */
export function parseResource(text: string): ResourcePattern {
  const parts = text.split(':');
  if (text === '*') return { kind: '*', name: '*', action: '*' };
  if (parts.length < 2 || parts.some((p) => p === ''))
    throw badRequest(
      'micro.cli',
      `--resource ${JSON.stringify(text)} is not kind:name:action (e.g. service:greeter:*, topic:orders:publish, store:users/*:read)`,
    );
  const [kind = '', ...rest] = parts;
  const action = rest.length > 1 ? (rest.pop() ?? '*') : '*';
  return { kind: kind as ResourcePattern['kind'], name: rest.join(':'), action };
}

/** The rules as a table, highest priority first: ID WHO RESOURCE ACCESS PRIORITY. */
export function rulesTable(rules: readonly Rule[]): string {
  if (rules.length === 0) return 'no rules (with auth on, nothing is allowed but the built-ins)';
  const sorted = [...rules].sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
  return table(
    ['ID', 'WHO', 'RESOURCE', 'ACCESS', 'PRIORITY'],
    sorted.map((r) => [r.id, r.who, resourceText(r.resource), r.access, String(r.priority)]),
  );
}

/** `k=v` pairs (repeatable, comma separated) as a map; undefined when none were given. */
export async function metadataOf(
  pairs: readonly string[] | string | undefined,
): Promise<Record<string, string> | undefined> {
  if (pairs === undefined) return undefined;
  const { parseMetadata } = await import('../shared/input.ts');
  return parseMetadata(pairs);
}

/** A repeatable flag's values split on commas too (`--role a,b --role c`); undefined when not given. */
export function namesOf(values: readonly string[] | string | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const all = (typeof values === 'string' ? [values] : values).flatMap((v) => String(v).split(','));
  return all.map((v) => v.trim()).filter((v) => v !== '');
}

/** A secret from standard input: its first line (a trailing newline is not part of it). */
export async function secretFromStdin(): Promise<string> {
  const { readStdin } = await import('../shared/input.ts');
  const secret = (await readStdin()).split(/\r?\n/)[0] ?? '';
  if (secret === '') throw badRequest('micro.cli', '--secret-stdin: standard input was empty');
  return secret;
}
