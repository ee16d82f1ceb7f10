// `micro auth accounts|rules|revoke|keys|token`: managing the control plane's auth (MICRO_AUTH=on)
// from the command line, as the account `micro login` stored (admins may do all of it).
import type { Jwks } from '../../platform/auth/auth.ts';
import { badRequest, MicroError } from '../../runtime/errors.ts';
import { defineCommand, defineGroup } from '../shared/command.ts';
import { print, table } from '../shared/output.ts';
import { accountsCommand } from './accounts.ts';
import { rulesCommand } from './rules.ts';
import { withAuth } from './shared.ts';

const revoke = defineCommand({
  command: 'revoke',
  describe: 'Revoke a token, or every token of an account',
  builder: (y) =>
    y
      .option('token', {
        type: 'string',
        describe: 'an access or refresh token (--token=- reads it from standard input)',
      })
      .option('account', { type: 'string', describe: 'an account id: all its tokens' })
      .conflicts('token', 'account')
      .example('micro auth revoke --account ann', '')
      .example('echo "$TOKEN" | micro auth revoke --token=-', ''),
  handler: async (args) => {
    if (args.token === undefined && args.account === undefined)
      throw badRequest('micro.cli', 'revoke what? give --token T (or --token=-) or --account ID');
    let token = args.token;
    // yargs gives a lone `-` as ''.
    if (token === '' || token === '-') {
      const { readStdin } = await import('../shared/input.ts');
      token = (await readStdin()).trim();
      if (token === '') throw badRequest('micro.cli', '--token -: standard input was empty');
    }
    await withAuth(args, (auth) =>
      auth.revoke(token !== undefined ? { token } : { account: args.account ?? '' }),
    );
    print(args.output, { revoked: token !== undefined ? 'token' : args.account }, () =>
      token !== undefined
        ? 'revoked the token (verifiers refuse it within 3 s)'
        : `revoked every token of ${args.account} (verifiers refuse them within 3 s)`,
    );
  },
});

const keysTable = (jwks: Jwks): string =>
  jwks.keys.length === 0
    ? 'no keys'
    : table(
        ['KID', 'ALG', 'CURVE', 'USE'],
        jwks.keys.map((k) => [k.kid, k.alg, k.crv, k.use]),
      );

const keysList = defineCommand({
  command: 'list',
  describe: 'List the public keys tokens are signed with (the JWKS)',
  builder: (y) => y,
  handler: async (args) => {
    const jwks = await withAuth(args, (auth) => auth.jwks());
    print(args.output, jwks, keysTable);
  },
});

const keysRotate = defineCommand({
  command: 'rotate',
  describe: 'Start signing with a new key; the old one verifies its tokens until they expire',
  builder: (y) => y,
  handler: async (args) => {
    const jwks = await withAuth(args, (auth) => auth.rotateKeys());
    print(args.output, jwks, (j: Jwks) => `rotated the signing key\n${keysTable(j)}`);
  },
});

const keys = defineGroup({
  command: 'keys',
  describe: 'List and rotate the signing keys',
  subcommands: [keysList, keysRotate],
  missing: 'keys what? micro auth keys list|rotate',
});

const token = defineCommand({
  command: 'token',
  describe: 'Print a valid access token of the stored login (for curl: Authorization: Bearer)',
  builder: (y) =>
    y.example(
      'curl -H "Authorization: Bearer $(micro auth token)" http://127.0.0.1:8080/greeter/Say.Hello',
      '',
    ),
  handler: async (args) => {
    const { cliToken, registryKey } = await import('../shared/auth-token.ts');
    const t = await cliToken(args);
    if (!t) throw new MicroError('micro.cli', 401, `not logged in at ${registryKey(args)}`);
    print(args.output, { access_token: t, token_type: 'Bearer' }, () => t);
  },
});

/** `micro auth ...`. */
export const authCommand = defineGroup({
  command: 'auth',
  describe: 'Manage accounts, rules, revocations and keys',
  subcommands: [accountsCommand, rulesCommand, revoke, keys, token],
  missing: 'auth what? micro auth accounts|rules|revoke|keys|token',
});
