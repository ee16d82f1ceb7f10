// `micro auth accounts list|create|get|update|delete`: the control plane's accounts. A created
// account's secret is printed once, with a warning on stderr that it is not shown again; no other
// command prints a secret. Bad input is the auth service's 400 naming the field.
import type { Account, AccountInput, AccountUpdate } from '../../platform/auth/auth.ts';
import { defineCommand, defineGroup } from '../shared/command.ts';
import { print } from '../shared/output.ts';
import {
  accountsTable,
  accountText,
  metadataOf,
  namesOf,
  secretFromStdin,
  withAuth,
} from './shared.ts';

const lists = {
  role: {
    type: 'string',
    array: true,
    describe: 'a role (repeat, or separate with commas), e.g. admin, dev',
  },
  scope: { type: 'string', array: true, describe: 'a scope (repeat, or separate with commas)' },
  metadata: { alias: 'm', type: 'string', array: true, describe: 'a label, k=v (repeatable)' },
  'secret-stdin': {
    type: 'boolean',
    default: false,
    describe: "the secret from standard input's first line (else one is generated)",
  },
} as const;

const list = defineCommand({
  command: 'list',
  describe: 'List the accounts (never their secrets)',
  builder: (y) => y.example('micro auth accounts list -o json', ''),
  handler: async (args) => {
    const accounts = await withAuth(args, (auth) => auth.listAccounts());
    print(args.output, accounts, (a: Account[]) => accountsTable(a));
  },
});

const create = defineCommand({
  command: 'create <id>',
  describe: 'Create an account; its secret is printed once',
  builder: (y) =>
    y
      .positional('id', { type: 'string', demandOption: true })
      .option('type', {
        choices: ['user', 'service'] as const,
        default: 'user' as const,
        describe: 'a person (password grant) or a program (client credentials)',
      })
      .options(lists)
      .example('micro auth accounts create ann --role dev', 'prints a generated secret once')
      .example('micro auth accounts create billing --type service --scope orders', '')
      .example('micro auth accounts create ci --role deploy --secret-stdin < secret.txt', ''),
  handler: async (args) => {
    const input: AccountInput = {
      id: args.id,
      type: args.type,
      ...(args.role && { roles: namesOf(args.role) }),
      ...(args.scope && { scopes: namesOf(args.scope) }),
      ...(args.metadata && { metadata: await metadataOf(args.metadata) }),
      ...(args.secretStdin && { secret: await secretFromStdin() }),
    };
    const made = await withAuth(args, (auth) => auth.createAccount(input));
    process.stderr.write(
      `micro: keep the secret of ${made.account.id} now: it is stored hashed and not shown again\n`,
    );
    print(
      args.output,
      made,
      () =>
        `created ${made.account.type} account ${made.account.id}\nsecret (shown once): ${made.secret}`,
    );
  },
});

const get = defineCommand({
  command: 'get <id>',
  describe: 'Print one account',
  builder: (y) => y.positional('id', { type: 'string', demandOption: true }),
  handler: async (args) => {
    const account = await withAuth(args, (auth) => auth.getAccount(args.id));
    print(args.output, account, (a: Account) => accountText(a));
  },
});

const update = defineCommand({
  command: 'update <id>',
  describe: "Change an account's roles, scopes, labels, state or secret",
  builder: (y) =>
    y
      .positional('id', { type: 'string', demandOption: true })
      .options(lists)
      .option('disable', { type: 'boolean', describe: 'refuse its tokens from now on' })
      .option('enable', { type: 'boolean', describe: 'let it get tokens again' })
      .conflicts('disable', 'enable')
      .example('micro auth accounts update ann --role dev,ops', 'replaces the roles')
      .example('micro auth accounts update ann --disable', ''),
  handler: async (args) => {
    const change: AccountUpdate = {
      ...(args.role && { roles: namesOf(args.role) }),
      ...(args.scope && { scopes: namesOf(args.scope) }),
      ...(args.metadata && { metadata: await metadataOf(args.metadata) }),
      ...(args.disable && { disabled: true }),
      ...(args.enable && { disabled: false }),
      ...(args.secretStdin && { secret: await secretFromStdin() }),
    };
    if (Object.keys(change).length === 0) {
      const { badRequest } = await import('../../runtime/errors.ts');
      throw badRequest(
        'micro.cli',
        'nothing to change: give --role, --scope, --metadata, --disable, --enable or --secret-stdin',
      );
    }
    const account = await withAuth(args, (auth) => auth.updateAccount(args.id, change));
    print(args.output, account, (a: Account) => `updated ${a.id}\n${accountText(a)}`);
  },
});

const remove = defineCommand({
  command: 'delete <id>',
  describe: 'Delete an account; its tokens are refused from then on',
  builder: (y) => y.positional('id', { type: 'string', demandOption: true }),
  handler: async (args) => {
    await withAuth(args, (auth) => auth.deleteAccount(args.id));
    print(args.output, { deleted: args.id }, () => `deleted account ${args.id}`);
  },
});

/** `micro auth accounts ...`. */
export const accountsCommand = defineGroup({
  command: 'accounts',
  describe: 'List, create, show, change and delete accounts',
  subcommands: [list, create, get, update, remove],
  missing: 'accounts what? micro auth accounts list|create|get|update|delete',
});
