// `micro route list|get|set|weight|match|mirror|delete|history|undo`: the traffic rules kept in
// the control plane's config (namespace micro-routes), which every watching client applies within
// a second. Changes are recorded as made by this user; every change is a version, so `undo` puts
// back what a bad change replaced. weight, match and mirror read the service's rule and set it
// edited: a change to the same service's rule made in between by someone else is replaced (other
// services' rules are never lost: the store writes with ifVersion).
import type { Argv } from 'yargs';
import type { Routes, TrafficRule } from '../platform/routing/routing.ts';
import { badRequest, notFound } from '../runtime/errors.ts';
import { defineCommand, defineGroup, type Args } from './shared/command.ts';
import type { GlobalArgs } from './shared/options.ts';
import { print } from './shared/output.ts';

const ID = 'micro.cli';

/** A subcommand run against the rules the global options name. */
function sub<A>(
  command: string,
  describe: string,
  builder: (y: Argv<GlobalArgs>) => Argv<GlobalArgs & A>,
  run: (routes: Routes, args: Args<A>) => Promise<void>,
) {
  return defineCommand<A>({
    command,
    describe,
    builder,
    handler: async (args) => {
      const { withRoutes } = await import('./route/open.ts');
      await withRoutes(args, (routes) => run(routes, args));
    },
  });
}

/** Stores a changed rule as this user, prints it, and warns of destinations no node matches. */
async function store(routes: Routes, rule: TrafficRule, args: Args<object>): Promise<void> {
  const [{ cliAuthor, unreached }, { ruleText }] = await Promise.all([
    import('./route/open.ts'),
    import('./route/format.ts'),
  ]);
  const stored = await routes.set(rule, { author: await cliAuthor() });
  print(args.output, stored, ruleText);
  const warning = await unreached(args, stored);
  if (warning) process.stderr.write(`warning: ${warning}\n`);
}

/** A whole number of at least 1 given to a flag or argument, or undefined. */
function whole(value: number | undefined, what: string): number | undefined {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1))
    throw badRequest(ID, `${what} must be a whole number of at least 1`);
  return value;
}

const serviceArg = <T>(y: Argv<T>) =>
  y.positional('service', { type: 'string', demandOption: true, describe: 'the service called' });

const list = sub(
  'list',
  "List every service's traffic rule",
  (y) => y,
  async (routes, args) => {
    const { rulesText } = await import('./route/format.ts');
    print(args.output, await routes.list(), rulesText);
  },
);

const get = sub(
  'get <service>',
  'Print the traffic rule of a service',
  (y) => serviceArg(y).example('micro route get greeter', ''),
  async (routes, args) => {
    const rule = await routes.get(args.service);
    if (rule === undefined)
      throw notFound(ID, `no traffic rule for ${args.service}: its calls go to any node`);
    const { ruleText } = await import('./route/format.ts');
    print(args.output, rule, ruleText);
  },
);

const set = sub(
  'set <service> [rule]',
  "Replace a service's rule with JSON or a file",
  (y) =>
    serviceArg(y)
      .positional('rule', { type: 'string', describe: 'the rule as JSON: {"routes":[...]}' })
      .option('file', {
        alias: 'f',
        type: 'string',
        describe: 'read the rule from a JSON or YAML file (- for stdin) [MICRO_FILE]',
      })
      .example('micro route set greeter --file greeter-rule.yaml', '')
      .example('micro route set greeter \'{"routes":[{"to":[{"version":"1.0.0"}]}]}\'', ''),
  async (routes, args) => {
    const [{ readRuleValue }, { ruleFrom }] = await Promise.all([
      import('./route/read.ts'),
      import('./route/edit.ts'),
    ]);
    const { value, source } = await readRuleValue(args.rule, args.file);
    await store(routes, ruleFrom(args.service, value, source), args);
  },
);

const weight = sub(
  'weight <service> <weights..>',
  'Split the calls of a service between versions',
  (y) =>
    serviceArg(y)
      .positional('weights', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'VERSION=WEIGHT pairs; weights 0 to 100, taken relative to their sum',
      })
      .option('name', { type: 'string', describe: 'a label for the route [MICRO_NAME]' })
      .option('sticky', {
        type: 'string',
        describe: "keep each value of this metadata key on one version ('' to stop) [MICRO_STICKY]",
      })
      .example('micro route weight greeter 1.0.0=90 2.0.0=10', '')
      .example('micro route weight greeter 1.0.0=50 2.0.0=50 --sticky x-user-id', ''),
  async (routes, args) => {
    const { parseWeights, withWeights } = await import('./route/edit.ts');
    const to = parseWeights(args.weights);
    const rule = withWeights(args.service, await routes.get(args.service), {
      to,
      name: args.name,
      sticky: args.sticky,
    });
    await store(routes, rule, args);
  },
);

const match = sub(
  'match <service>',
  'Send the calls that carry metadata to a version',
  (y) =>
    serviceArg(y)
      .option('metadata', {
        alias: 'm',
        type: 'string',
        array: true,
        describe:
          'k=v the call must carry (a header at the gateway); repeat for more [MICRO_METADATA]',
      })
      .option('endpoint', {
        type: 'string',
        describe: 'the endpoint called (Say.Hello or Say.*) [MICRO_ENDPOINT]',
      })
      .option('to', {
        type: 'string',
        demandOption: true,
        describe: 'the version to send them to [MICRO_TO]',
      })
      .option('name', { type: 'string', describe: 'a label for the route [MICRO_NAME]' })
      .example('micro route match greeter --metadata x-user-id=ann --to 2.0.0', ''),
  async (routes, args) => {
    const [{ withMatch }, { parseMetadata }] = await Promise.all([
      import('./route/edit.ts'),
      import('./shared/input.ts'),
    ]);
    const rule = withMatch(args.service, await routes.get(args.service), {
      match: { endpoint: args.endpoint, metadata: parseMetadata(args.metadata) },
      to: [{ version: args.to }],
      name: args.name,
    });
    await store(routes, rule, args);
  },
);

const mirror = sub(
  'mirror <service>',
  'Copy a share of calls to a version, answers dropped',
  (y) =>
    serviceArg(y)
      .option('to', {
        type: 'string',
        demandOption: true,
        describe: 'the version to copy calls to [MICRO_TO]',
      })
      .option('percent', {
        type: 'string',
        demandOption: true,
        describe: 'percent of the calls copied, 0 to 100 (0 stops mirroring) [MICRO_PERCENT]',
      })
      .example('micro route mirror greeter --to 2.0.0 --percent 10', ''),
  async (routes, args) => {
    const { parseShare, withMirror } = await import('./route/edit.ts');
    const percent = parseShare(args.percent, '--percent');
    const rule = withMirror(args.service, await routes.get(args.service), {
      version: args.to,
      percent,
    });
    await store(routes, rule, args);
  },
);

const remove = sub(
  'delete <service>',
  "Remove a service's rule: its calls go anywhere",
  (y) => serviceArg(y),
  async (routes, args) => {
    const { cliAuthor } = await import('./route/open.ts');
    if (!(await routes.delete(args.service, { author: await cliAuthor() })))
      throw notFound(ID, `no traffic rule for ${args.service}: nothing was deleted`);
    print(
      args.output,
      { service: args.service, deleted: true },
      () => `${args.service}: rule deleted; its calls go to any node`,
    );
  },
);

const history = sub(
  'history',
  'List the versions of the rules, newest first',
  (y) =>
    y.option('limit', {
      type: 'number',
      describe: 'at most this many (default 100) [MICRO_LIMIT]',
    }),
  async (routes, args) => {
    const { historyText } = await import('./route/format.ts');
    print(args.output, await routes.history(whole(args.limit, '--limit')), historyText);
  },
);

const undo = sub(
  'undo [to-version]',
  'Undo the last change, or go back to a version',
  (y) =>
    y
      .positional('to-version', {
        type: 'number',
        describe: 'the version to go back to (micro route history); default the one before',
      })
      .example('micro route undo', '')
      .example('micro route undo 3', ''),
  async (routes, args) => {
    const { cliAuthor } = await import('./route/open.ts');
    const given = whole(args.toVersion, 'the version');
    // Without a version: the one before the latest, named in what is printed (none: no rules).
    const to = given ?? (await routes.history(2))[1]?.version;
    const v = await routes.rollback(given, { author: await cliAuthor() });
    print(
      args.output,
      v,
      () =>
        `version ${v.version}: ${v.action} to ${to === undefined ? 'no rules' : `version ${to}`} by ${v.author}`,
    );
  },
);

/** `micro route ...`: read and change the traffic rules of services. */
export const routeCommand = defineGroup({
  command: 'route',
  describe: 'Route calls by version: canaries, A/B, mirrors',
  subcommands: [list, get, set, weight, match, mirror, remove, history, undo],
  missing: 'route what? micro route list|get|set|weight|match|mirror|delete|history|undo',
});
