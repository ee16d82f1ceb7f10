import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './shared/options.ts';
import { printable } from '../registry/printable.ts';
import { handled } from './shared/output.ts';

interface Args extends GlobalArgs {
  name: string;
  follow: boolean;
  tail?: number;
  since?: string;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The time `--since` names, in ms since the epoch: a duration before now (`90s`, `10m`, `1h30m`,
 * `2d`) or a date and time (`2026-12-06T10:00:00Z`, `2026-12-06 10:00`); a TypeError otherwise.
 */
export function sinceTime(value: string, now = Date.now()): number {
  const text = value.trim();
  if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(text)) {
    let ms = 0;
    for (const [, n = '0', unit = 's'] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g))
      ms += Number(n) * (UNITS[unit] ?? 0);
    return now - ms;
  }
  const time = Date.parse(text);
  if (Number.isNaN(time))
    throw new TypeError(
      `--since ${JSON.stringify(value)} is neither a duration (10m, 1h30m, 2d) nor a time (2026-12-06T10:00:00Z)`,
    );
  return time;
}

/** `micro logs NAME [-f] [-n N] [--since T]`: a supervised service's output, run by run. */
export const logsCommand: CommandModule<GlobalArgs, Args> = {
  command: 'logs <name>',
  describe: 'Print the output of a background service, run by run',
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true })
      .option('follow', {
        alias: 'f',
        type: 'boolean',
        default: false,
        describe: 'keep printing new lines [MICRO_FOLLOW]',
      })
      .option('tail', {
        alias: 'n',
        type: 'number',
        describe: 'print only the last N lines (then new ones with --follow) [MICRO_TAIL]',
      })
      .option('since', {
        type: 'string',
        describe:
          'print only lines written since a duration ago (10m, 1h30m) or a time [MICRO_SINCE]',
      })
      .example('micro logs users -n 20', 'the last 20 lines')
      .example('micro logs users --since 10m -f', 'the last ten minutes, then new lines'),
  handler: handled(async (argv: Args) => {
    const { withRuntime } = await import('./shared/runtime.ts');
    const { badRequest } = await import('../runtime/errors.ts');
    if (argv.tail !== undefined && (!Number.isInteger(argv.tail) || argv.tail < 0))
      throw badRequest('micro.cli', `--tail must be a whole number of lines, not ${argv.tail}`);
    let since: number | undefined;
    try {
      since = argv.since === undefined ? undefined : sinceTime(argv.since);
    } catch (err) {
      throw badRequest('micro.cli', (err as Error).message);
    }
    await withRuntime(argv, async (client) => {
      const stream = await client.stream<unknown, { line: string }>('runtime', 'Runtime.Logs');
      // Ctrl-C closes the connection, which ends the stream and the command.
      const stop = (): void => void client.close();
      process.once('SIGINT', stop);
      try {
        stream.send({
          name: argv.name,
          follow: argv.follow,
          ...(argv.tail === undefined ? {} : { tail: argv.tail }),
          ...(since === undefined ? {} : { since }),
        });
        stream.end();
        // A log line may carry names and text from other processes: shown, not obeyed.
        for await (const m of stream) process.stdout.write(`${printable(String(m.line))}\n`);
      } finally {
        process.off('SIGINT', stop);
      }
    });
  }),
};
