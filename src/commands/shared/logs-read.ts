// What `micro logs` does once its flags are read: the last lines matching from the control plane's
// `logs` service, then (-f) every new one from Log.Watch after the last id read, until Ctrl-C. A
// control plane with no `logs` service (an older micro run), --file, or a NAME with no lines kept
// that names a process micro run supervises, reads that process's output file through
// Runtime.Logs instead, which filters by time and count only.
import type { LogQuery, LogRecord, Logs } from '../../platform/logs/logs.ts';
import { RegistryError, RegistryErrors } from '../../registry/registry.ts';
import { NAME } from '../../registry/validate.ts';
import { printable } from '../../registry/printable.ts';
import type { Client } from '../../runtime/client/client.ts';
import { MicroError, badRequest, serviceUnavailable } from '../../runtime/errors.ts';
import { sinceTime } from '../logs.ts';
import type { Args } from './command.ts';
import { withConnection } from './connect.ts';
import { grepFlag, levelFlag, limitFlag, logJson, logLine, traceFlag } from './log-line.ts';

const CLI = 'micro.cli';

/** The flags of `micro logs`. */
export interface LogsFlags {
  name?: string;
  all: boolean;
  follow: boolean;
  tail?: number;
  since?: string;
  level?: string;
  grep?: string;
  trace?: string;
  file: boolean;
}

/** The query the flags name, or a 400 naming the flag that is wrong. */
export function queryOf(args: LogsFlags, env: NodeJS.ProcessEnv = process.env): LogQuery {
  const all = args.all || args.name === 'all';
  if (!all && (args.name === undefined || args.name === ''))
    throw badRequest(CLI, 'name a service (micro logs NAME), or all for every service');
  let since: number | undefined;
  try {
    since = args.since === undefined ? undefined : sinceTime(args.since);
  } catch (err) {
    throw badRequest(CLI, (err as Error).message);
  }
  // yargs reads MICRO_TRACE into --trace, and MICRO_TRACE is the platform's tracing switch (off).
  const trace =
    args.trace !== undefined &&
    args.trace === env.MICRO_TRACE &&
    !/^[0-9a-f]{32}$/i.test(args.trace)
      ? undefined
      : args.trace;
  const query: LogQuery = {
    ...(!all && { service: args.name }),
    ...optional('level', levelFlag(args.level)),
    ...optional('grep', grepFlag(args.grep)),
    ...optional('trace', traceFlag(trace)),
    ...optional('since', since),
    ...optional('limit', limitFlag(args.tail)),
  };
  return query;
}

/** A service's name: the registry's rule, else a 400 (no line could match it). */
function checkName(name: string): void {
  if (name.length > 128 || !NAME.test(name))
    throw badRequest(
      CLI,
      `"${printable(name.slice(0, 40), false)}" is not a valid name: use letters, digits, ., - and _ (not starting with . or -)`,
    );
}

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** Prints the lines the flags name, then follows them with -f until SIGINT or SIGTERM. */
export async function readLogs(args: Args<LogsFlags>): Promise<void> {
  const query = queryOf(args);
  const print = (r: LogRecord): boolean =>
    process.stdout.write(`${args.output === 'json' ? logJson(r) : logLine(r, process.stdout)}\n`);
  await withConnection(args, async ({ registry, client }) => {
    const served = await registry.getService('logs').then(
      (versions) => versions.length > 0,
      (err: unknown) => {
        if (err instanceof RegistryError && err.code === RegistryErrors.notFound) return false;
        throw err;
      },
    );
    // The runtime service checks the name itself (it names a file).
    if (args.file || !served) return runtimeLogs(client, args, query);
    if (query.service !== undefined) checkName(query.service);
    const { logsFromEnv } = await import('../../platform/logs/index.ts');
    const logs = logsFromEnv(process.env, { client });
    try {
      if (await onlySupervised(logs, client, query)) return await runtimeLogs(client, args, query);
      const stop = new AbortController();
      const end = (): void => stop.abort();
      process.once('SIGINT', end);
      process.once('SIGTERM', end);
      try {
        const read = query.limit === 0 ? [] : await logs.read(query);
        for (const r of read) print(r);
        if (read.length === 0 && query.limit !== 0 && query.service && args.output === 'text')
          process.stderr.write(
            `no lines of ${query.service} match in the control plane's logs (a process micro run supervises keeps its own output too: micro logs ${query.service} --file)\n`,
          );
        if (!args.follow || stop.signal.aborted) return;
        // After the last line read; with none read, none matched yet: every new one is after 0.
        const after = query.limit === 0 ? undefined : (read.at(-1)?.id ?? 0);
        const { limit: _, ...filters } = query;
        try {
          const watch = logs.watch({ ...filters, ...optional('after', after) }, stop.signal);
          for await (const r of watch) print(r);
        } catch (err) {
          // Ctrl-C: the stream's end is the command's.
          if (!stop.signal.aborted) throw err;
        }
      } finally {
        process.off('SIGINT', end);
        process.off('SIGTERM', end);
      }
    } finally {
      await logs.close();
    }
  });
}

/**
 * True when NAME has no lines in the logs but names a process micro run supervises (`micro run -d
 * ./greeter --name bg`: its structured lines are kept under the service it runs), and no filter
 * the output file cannot apply was given: then that process's output is what was asked for.
 */
async function onlySupervised(logs: Logs, client: Client, q: LogQuery): Promise<boolean> {
  if (q.service === undefined || q.level || q.grep || q.trace) return false;
  if ((await logs.sources()).some((s) => s.service === q.service)) return false;
  const list = await client
    .call<{ processes?: { name: string }[] }>('runtime', 'Runtime.List', {}, { timeout: 2000 })
    .catch(() => ({ processes: [] }));
  return (list.processes ?? []).some((p) => p.name === q.service);
}

/** The supervised process's output file, run by run, through the runtime service. */
async function runtimeLogs(client: Client, args: Args<LogsFlags>, query: LogQuery): Promise<void> {
  const filters = (['level', 'grep', 'trace'] as const).filter((k) => query[k] !== undefined);
  if (filters.length > 0)
    throw new MicroError(
      CLI,
      501,
      `--${filters.join(', --')} need the control plane's logs service, which ${args.file ? '--file does not read' : 'this control plane does not run (an older micro run)'}`,
    );
  if (query.service === undefined)
    throw badRequest(CLI, `all needs the control plane's logs service; name one service`);
  // Ctrl-C closes the client, which ends the stream and the command.
  const stop = (): void => void client.close();
  process.once('SIGINT', stop);
  try {
    const stream = await client.stream<unknown, { line: string }>('runtime', 'Runtime.Logs');
    stream.send({
      name: query.service,
      follow: args.follow,
      ...optional('tail', query.limit),
      ...optional('since', query.since),
    });
    stream.end();
    // A log line may carry names and text from other processes: shown, not obeyed.
    for await (const m of stream) process.stdout.write(`${printable(String(m.line))}\n`);
  } catch (err) {
    const e = err as { id?: string; code?: number; detail?: string };
    if (e.id === 'micro.client' && (e.code === 404 || e.code === 503))
      throw serviceUnavailable(
        CLI,
        `no micro runtime answers through the registry: start it with "micro run" (${e.detail ?? ''})`,
      );
    throw err;
  } finally {
    process.off('SIGINT', stop);
  }
}
