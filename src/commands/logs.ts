// `micro logs NAME`: a service's log lines from the control plane's `logs` service, filtered by
// level, time, text and trace, then followed live with -f (Log.Watch from the last line read, so
// nothing written in between is lost or printed twice). A control plane with no `logs` service (an
// older micro run) and --file read the supervised process's own output file (Runtime.Logs) instead.
import { defineCommand } from './shared/command.ts';

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

/** `micro logs NAME [-f] [-n N] [--since T] [--level L] [--grep TEXT] [--trace ID]`. */
export const logsCommand = defineCommand({
  command: 'logs [name]',
  describe: "Print and follow a service's log lines, or all services'",
  builder: (y) =>
    y
      .positional('name', {
        type: 'string',
        describe: 'the service (or api, sidecar, micro); all for every service',
      })
      .option('all', {
        type: 'boolean',
        default: false,
        describe: "every service's lines, as NAME all [MICRO_ALL]",
      })
      .option('follow', {
        alias: 'f',
        type: 'boolean',
        default: false,
        describe: 'keep printing new lines until Ctrl-C [MICRO_FOLLOW]',
      })
      .option('tail', {
        alias: 'n',
        type: 'number',
        describe:
          'print the last N lines, 0 to 1000 (default 100), then new ones with -f [MICRO_TAIL]',
      })
      .option('since', {
        type: 'string',
        describe: 'lines written since a duration ago (10m, 1h30m) or a time [MICRO_SINCE]',
      })
      .option('level', {
        type: 'string',
        describe:
          'lines at this level or above: trace, debug, info, warn, error, fatal [MICRO_LEVEL]',
      })
      .option('grep', {
        type: 'string',
        describe: 'lines whose message or fields hold this text, any case [MICRO_GREP]',
      })
      .option('trace', {
        type: 'string',
        describe: 'lines written in this trace (32 hex digits) [MICRO_TRACE_ID]',
      })
      .option('file', {
        type: 'boolean',
        default: false,
        describe: "the supervised process's own output file, run by run [MICRO_FILE]",
      })
      .parserConfiguration({ 'parse-positional-numbers': false })
      .example('micro logs users -n 20', 'the last 20 lines')
      .example('micro logs users --since 10m -f', 'the last ten minutes, then new lines')
      .example('micro logs all --level warn --grep timeout', 'warnings and errors of every service')
      .example('micro logs all --trace 4bf92f3577b34da6a3ce929d0e0e4736', "one request's lines"),
  handler: async (args) => {
    const { readLogs } = await import('./shared/logs-read.ts');
    await readLogs(args);
  },
});
