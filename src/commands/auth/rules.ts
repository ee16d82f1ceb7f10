// `micro auth rules list|add|delete`: who may do what. Rules are decided by the one rule engine
// (src/platform/auth/rules.ts) in every verifier; a change reaches them within 3 s.
import type { Rule } from '../../platform/auth/auth.ts';
import { defineCommand, defineGroup } from '../shared/command.ts';
import { print } from '../shared/output.ts';
import { parseResource, resourceText, rulesTable, withAuth } from './shared.ts';

const list = defineCommand({
  command: 'list',
  describe: 'List the rules, highest priority first',
  builder: (y) => y.example('micro auth rules list', ''),
  handler: async (args) => {
    const rules = await withAuth(args, (auth) => auth.listRules());
    print(args.output, rules, (r: Rule[]) => rulesTable(r));
  },
});

const add = defineCommand({
  command: 'add',
  describe: 'Add a rule (or replace the rule of the same --id)',
  builder: (y) =>
    y
      .option('who', {
        type: 'string',
        demandOption: true,
        describe:
          'whom it is for: *, public, account:ID, role:R, scope:S, type:user or type:service',
      })
      .option('resource', {
        type: 'string',
        demandOption: true,
        describe:
          'kind:name:action, each part exact, * or a prefix ending in * (service:greeter:Say.*, topic:orders:publish, store:users/*:read)',
      })
      .option('access', { choices: ['allow', 'deny'] as const, default: 'allow' as const })
      .option('priority', {
        type: 'number',
        default: 0,
        describe: 'the highest-priority match decides; at equal priority deny wins',
      })
      .option('id', { type: 'string', describe: 'the rule id (generated when not given)' })
      .example(
        'micro auth rules add --who role:dev --resource service:greeter:* --access allow --priority 10',
        '',
      )
      .example('micro auth rules add --who public --resource service:greeter:Say.Hello', ''),
  handler: async (args) => {
    const rule = await withAuth(args, (auth) =>
      auth.createRule({
        who: args.who,
        resource: parseResource(args.resource),
        access: args.access,
        priority: args.priority,
        ...(args.id !== undefined && { id: args.id }),
      }),
    );
    print(
      args.output,
      rule,
      (r: Rule) =>
        `added rule ${r.id}: ${r.access} ${r.who} ${resourceText(r.resource)} (priority ${r.priority})`,
    );
  },
});

const remove = defineCommand({
  command: 'delete <id>',
  describe: 'Delete a rule',
  builder: (y) => y.positional('id', { type: 'string', demandOption: true }),
  handler: async (args) => {
    await withAuth(args, (auth) => auth.deleteRule(args.id));
    print(args.output, { deleted: args.id }, () => `deleted rule ${args.id}`);
  },
});

/** `micro auth rules ...`. */
export const rulesCommand = defineGroup({
  command: 'rules',
  describe: 'List, add and delete the rules of who may do what',
  subcommands: [list, add, remove],
  missing: 'rules what? micro auth rules list|add|delete',
});
