// `micro bot status` and `micro bot audit` as yargs command modules, for src/commands/bot.ts to list
// beside `micro bot --inputs ...`: thin, their flags checked, the work loaded when they run
// (status.ts, audit.ts).
import { badRequest } from '../../runtime/errors.ts';
import { defineCommand } from '../shared/command.ts';
import { singleValued } from '../shared/once.ts';

/** A flag that, when given, is a whole number of at least 1: else a 400 naming it. */
const whole = (value: number | undefined, flag: string): void => {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1))
    throw badRequest('micro.cli', `--${flag} must be a whole number of at least 1, not ${value}`);
};

/** `micro bot status`: the running bots, their inputs and commands. */
export const botStatusCommand = defineCommand({
  command: 'status',
  describe: "Print the running bots' inputs and commands",
  builder: (y) =>
    y
      .option('timeout', {
        type: 'number',
        describe: 'ms each bot may take to answer (default 5000) [MICRO_TIMEOUT]',
      })
      .example('micro bot status', '')
      .example("micro bot status -o json | jq '.[].inputs'", ''),
  handler: async (args) => {
    singleValued(args);
    whole(args.timeout, 'timeout');
    const { printBotStatus } = await import('./status.ts');
    await printBotStatus(args);
  },
});

/** `micro bot audit`: the recent commands the bots ran (micro.audit events of source bot). */
export const botAuditCommand = defineCommand({
  command: 'audit',
  describe: 'Print the recent bot commands (micro.audit events)',
  builder: (y) =>
    y
      .option('follow', {
        alias: 'f',
        type: 'boolean',
        describe: 'then print each new command as it comes, until Ctrl-C [MICRO_FOLLOW]',
      })
      .option('limit', {
        type: 'number',
        describe: 'at most this many recent commands (default 50) [MICRO_LIMIT]',
      })
      .example('micro bot audit --follow', ''),
  handler: async (args) => {
    singleValued(args);
    whole(args.limit, 'limit');
    const { printBotAudit } = await import('./audit.ts');
    await printBotAudit(args);
  },
});
