// The bot's observability commands, through the platform's own clients over the bot's client:
// traces [service] (the recent traces of the control plane's `trace` service, a table, newest
// first, at most TRACES_MAX) and logs <service> (a service's last LOG_LINES lines from the `logs`
// service, one line each in a code block). Neither changes state. Remote text is escaped by the
// formatter; a line's fields are cut to keep the answer short.
import { createMicroLogs } from '../../platform/logs/client.ts';
import type { LogRecord } from '../../platform/logs/logs.ts';
import { createMicroTrace } from '../../platform/trace/client.ts';
import { NAME } from '../../registry/validate.ts';
import { badRequest } from '../../runtime/errors.ts';
import { spanTime } from '../../ui/waterfall.ts';
import type { Command } from '../bot.ts';
import { withArea } from './platform.ts';
import { BOT_ID, cell, usageError } from './parts.ts';

/** Traces listed at most. */
export const TRACES_MAX = 20;

/** Log lines shown at most. */
export const LOG_LINES = 50;

/** Characters of one log line shown at most. */
const LINE_MAX = 300;

/** A service name as the registry takes it, else a 400 (nothing could match it). */
function checkName(name: string): string {
  if (name.length > 128 || !NAME.test(name))
    throw badRequest(
      BOT_ID,
      `${JSON.stringify(name.slice(0, 40))} is not a service name: letters, digits, ., - and _`,
    );
  return name;
}

/** `traces [service]`: the recent traces (with a span of the service), newest first. */
export const traces: Command = {
  name: 'traces',
  pattern: /^traces?\b/i,
  usage: 'traces [service]',
  description: `the last ${TRACES_MAX} traces (with a span of the service), newest first`,
  async run(ctx, args) {
    const [service, extra] = args;
    if (extra !== undefined) throw usageError(traces, 'name one service at most');
    const query = {
      ...(service !== undefined && { service: checkName(service) }),
      limit: TRACES_MAX,
    };
    const found = await withArea(
      ctx,
      'trace',
      (client) => createMicroTrace({ client }),
      (t) => t.list(query),
    );
    if (found.length === 0)
      return [{ kind: 'text', text: `no traces${service ? ` with a span of ${service}` : ''}` }];
    return [
      {
        kind: 'table',
        header: ['TRACE', 'START', 'DURATION', 'SPANS', 'ERRORS', 'ROOT'],
        rows: found
          .slice(0, TRACES_MAX)
          .map((t) => [
            t.traceId,
            new Date(t.start).toISOString(),
            spanTime(t.duration),
            String(t.spans),
            String(t.errors),
            cell(`${t.service} ${t.endpoint ?? t.name}`),
          ]),
      },
      { kind: 'text', text: 'micro trace get <trace> shows one as a waterfall' },
    ];
  },
};

/** A record as one line: time, level, node, message, fields. */
export function logLine(r: LogRecord): string {
  const fields = Object.entries(r.fields ?? {})
    .map(([k, v]) => ` ${k}=${typeof v === 'string' && /^\S+$/.test(v) ? v : JSON.stringify(v)}`)
    .join('');
  const line = `${new Date(r.time).toISOString()} ${r.level.toUpperCase().padEnd(5)} ${r.node ?? '-'} ${r.msg}${fields}`;
  return line.length > LINE_MAX ? `${line.slice(0, LINE_MAX - 3)}...` : line;
}

/** `logs <service>`: a service's last lines. */
export const logs: Command = {
  name: 'logs',
  pattern: /^logs?\b/i,
  usage: 'logs <service>',
  description: `a service's last ${LOG_LINES} log lines`,
  async run(ctx, args) {
    const [service, extra] = args;
    if (service === undefined || extra !== undefined) throw usageError(logs, 'name one service');
    const name = checkName(service);
    const lines = await withArea(
      ctx,
      'logs',
      (client) => createMicroLogs({ client }),
      (l) => l.read({ service: name, limit: LOG_LINES }),
    );
    if (lines.length === 0)
      return [{ kind: 'text', text: `no lines of ${name} in the control plane's logs` }];
    return [
      { kind: 'code', text: lines.slice(-LOG_LINES).map(logLine).join('\n') },
      { kind: 'text', text: `the last ${lines.length} lines: micro logs ${name} -f follows them` },
    ];
  },
};

/** The observability commands, in help order. */
export const observeCommands: readonly Command[] = [traces, logs];
