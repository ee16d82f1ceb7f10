// `micro login`, `micro logout` and `micro whoami`: getting, ending and showing the CLI's login at
// the control plane the registry flags name. The secret is asked without echo on a terminal, or
// read from stdin with --secret-stdin; it is never taken as a flag, so it stays out of shell
// history and process lists. Tokens go to the credentials file (src/commands/shared/credentials.ts).
import type { Account, TokenResponse } from '../platform/auth/auth.ts';
import { badRequest, MicroError } from '../runtime/errors.ts';
import { defineCommand } from './shared/command.ts';
import { formatDuration } from './shared/input.ts';
import { print } from './shared/output.ts';

/** The account id and secret: the flags, else asked at the terminal. */
async function idAndSecret(args: {
  id?: string;
  secretStdin?: boolean;
}): Promise<{ id: string; secret: string }> {
  const { ask } = await import('./shared/prompt.ts');
  const { secretFromStdin } = await import('./auth/shared.ts');
  if (args.id === undefined && (args.secretStdin || !process.stdin.isTTY))
    throw badRequest('micro.cli', 'give the account with --id (no terminal to ask on)');
  const id = args.id ?? (await ask('account id: '));
  if (args.secretStdin) return { id, secret: await secretFromStdin() };
  if (!process.stdin.isTTY)
    throw badRequest(
      'micro.cli',
      'no terminal to ask for the secret: pipe it with --secret-stdin (e.g. micro login --id ci --secret-stdin < secret.txt)',
    );
  return { id, secret: await ask(`secret for ${id} (not shown): `, true) };
}

/** A refusal of the token endpoint, said for people: the cause, never the secret. */
const refused = (err: unknown): MicroError => {
  const e = err as Partial<MicroError>;
  return new MicroError(
    'micro.cli',
    401,
    `micro login: the account id or secret is wrong, or the account is disabled (${e.detail ?? 'refused'})`,
  );
};

const login = defineCommand({
  command: 'login',
  describe: 'Log in: keep a token for the CLI and the explorer',
  builder: (y) =>
    y
      .option('id', {
        type: 'string',
        describe: 'the account id (asked when not given) [MICRO_ID]',
      })
      .option('secret-stdin', {
        type: 'boolean',
        default: false,
        describe: "read the secret from standard input's first line, for scripts",
      })
      .example('micro login', 'asks for the id and the secret')
      .example('micro login --id ci --secret-stdin < secret.txt', '')
      .epilog(
        'Users get a token with the password grant, service accounts with client credentials (tried when the password grant is refused). The token is stored per registry address in $MICRO_CONFIG_DIR (else $XDG_CONFIG_HOME/micro, else ~/.config/micro)/credentials.json, mode 0600, and refreshed as it nears expiry.',
      ),
  handler: async (args) => {
    const [{ exchange, credentialOf, registryKey }, { saveCredential, credentialsPath }] =
      await Promise.all([import('./shared/auth-token.ts'), import('./shared/credentials.ts')]);
    const { id, secret } = await idAndSecret(args);
    let t: TokenResponse;
    try {
      t = await exchange(args, { grant_type: 'password', username: id, password: secret });
    } catch (first) {
      const e = first as Partial<MicroError>;
      if (e.code !== 400 && e.code !== 401) throw first;
      // A service account logs in with client credentials.
      try {
        t = await exchange(args, {
          grant_type: 'client_credentials',
          client_id: id,
          client_secret: secret,
        });
      } catch {
        // The password grant's refusal says more (a user is the usual case).
        throw refused(first);
      }
    }
    const key = registryKey(args);
    await saveCredential(key, credentialOf(id, t));
    print(
      args.output,
      { id, registry: key, expires_in: t.expires_in, scope: t.scope, file: credentialsPath() },
      () =>
        `logged in as ${id} at ${key} (the token lasts ${formatDuration(t.expires_in * 1000)} and is renewed as needed; stored in ${credentialsPath()})`,
    );
  },
});

const logout = defineCommand({
  command: 'logout',
  describe: "Log out: revoke the stored login's tokens",
  builder: (y) => y.example('micro logout', ''),
  handler: async (args) => {
    const [{ registryKey }, { storedCredential, saveCredential }, { withAuth }] = await Promise.all(
      [
        import('./shared/auth-token.ts'),
        import('./shared/credentials.ts'),
        import('./auth/shared.ts'),
      ],
    );
    const key = registryKey(args);
    const stored = await storedCredential(key);
    if (!stored)
      return print(args.output, { registry: key, was: null }, () => `not logged in at ${key}`);
    let note = '';
    try {
      // Revoking the refresh token ends its family; the access token is revoked too.
      await withAuth(
        args,
        async (auth) => {
          await auth.revoke({ token: stored.refresh_token });
          await auth.revoke({ token: stored.access_token });
        },
        { token: false },
      );
    } catch (err) {
      note = ` (the control plane could not be told: ${(err as Error).message}; the tokens stay valid until they expire)`;
    }
    await saveCredential(key, undefined);
    print(
      args.output,
      { registry: key, was: stored.id, revoked: note === '' },
      () => `logged out ${stored.id} at ${key}${note}`,
    );
  },
});

const whoami = defineCommand({
  command: 'whoami',
  describe: 'Print the account the CLI acts as',
  builder: (y) => y.example('micro whoami -o json', ''),
  handler: async (args) => {
    const { withAuth, accountText } = await import('./auth/shared.ts');
    const { cliToken } = await import('./shared/auth-token.ts');
    if (!(await cliToken(args)))
      throw new MicroError(
        'micro.cli',
        401,
        `not logged in at ${(await import('./shared/auth-token.ts')).registryKey(args)}`,
      );
    const { whoami: ask } = await import('../platform/auth/client.ts');
    const account = await withAuth(args, (_auth, client) => ask({ client }));
    print(args.output, account, (a: Account) => accountText(a));
  },
});

/** `micro login`. */
export const loginCommand = login;
/** `micro logout`. */
export const logoutCommand = logout;
/** `micro whoami`. */
export const whoamiCommand = whoami;
