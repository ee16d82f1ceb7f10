// The control plane's `logs` service: any Logs served over RPC as the `Log` handler. Write
// ({records} -> {}), Read (LogQuery -> {records}), Watch (a server stream: LogQuery -> one
// LogRecord per message, until the caller closes it), Sources ({} -> {sources}). Requests are
// closed (an unknown field is a 400 naming it) and their values checked (validate.ts): a batch
// with one bad record is a 400 naming it and nothing of it is stored. Its handlers log nothing per
// call, so services shipping their lines here (MICRO_LOG_COLLECT=on) never feed on themselves.
// hostLogs keeps the lines in micro.db, bounded by MICRO_LOG_KEEP lines per service (default
// 10,000) and MICRO_LOG_MAX_AGE ms (default 7 days); MICRO_LOGS=memory keeps them in memory.
import { closed, closedShape } from '../../runtime/server/closed.ts';
import { endpoint, serverStream } from '../../runtime/server/declare.ts';
import type { Handler } from '../../runtime/server/handler.ts';
import type { HostContext, Hosted } from '../hosting.ts';
import type { LogQuery, LogRecord, Logs } from './logs.ts';
import { LOG_LEVELS } from './logs.ts';
import { boundsFromEnv } from './memory.ts';
import { checkQuery, checkRecords, LOGS_ID, LOGS_LIMITS } from './validate.ts';

const whole = (description: string) => ({ type: 'integer', minimum: 0, description });
const queryFields = {
  service: { type: 'string', description: 'lines of this service' },
  level: { enum: [...LOG_LEVELS], description: 'lines at this level or above' },
  grep: { type: 'string', maxLength: LOGS_LIMITS.grep, description: 'text in the line, any case' },
  trace: { type: 'string', description: 'lines written in this trace (32 hex digits)' },
  since: whole('written at or after, ms since the epoch'),
  until: whole('written before, ms since the epoch'),
  after: whole('lines stored after this id'),
  limit: { type: 'integer', minimum: 1, maximum: LOGS_LIMITS.limit.max, description: 'lines' },
};
const record = closedShape(
  {
    time: whole('ms since the epoch'),
    service: { type: 'string' },
    node: { type: 'string' },
    level: { enum: [...LOG_LEVELS] },
    msg: { type: 'string', maxLength: LOGS_LIMITS.msg },
    traceId: { type: 'string' },
    spanId: { type: 'string' },
    fields: { type: 'object' },
  },
  ['time', 'service', 'level', 'msg'],
);
const query = (name: string) =>
  closed(LOGS_ID, `Log.${name}`, closedShape(queryFields), (req) => checkQuery(req));

/** The Log handler: any Logs, served to other processes as the `logs` service. */
export function logsHandler(logs: Logs): Handler {
  return {
    Write: endpoint(
      {
        request: closed(
          LOGS_ID,
          'Log.Write',
          closedShape({ records: { type: 'array', maxItems: LOGS_LIMITS.batch, items: record } }, [
            'records',
          ]),
          (req) => ({ records: checkRecords(req.records) }),
        ),
      },
      async (req) => {
        await logs.write(req.records);
        return {};
      },
    ),
    Read: endpoint({ request: query('Read') }, async (req: LogQuery) => ({
      records: await logs.read(req),
    })),
    Watch: serverStream(
      { request: query('Watch') },
      async function* (req: LogQuery, ctx): AsyncGenerator<LogRecord> {
        yield* logs.watch(req, ctx.signal);
      },
    ),
    Sources: endpoint(
      { request: closed(LOGS_ID, 'Log.Sources', closedShape({}), () => ({})) },
      async () => ({ sources: await logs.sources() }),
    ),
  };
}

/** Hosts the logs service: SQLite in micro.db (MICRO_LOGS=memory: in memory), bounded from the environment. */
export async function hostLogs(context: HostContext): Promise<Hosted & { logs: Logs }> {
  const bounds = boundsFromEnv(context.env);
  const logs =
    context.env.MICRO_LOGS === 'memory'
      ? (await import('./memory.ts')).createMemoryLogs(bounds)
      : (await import('./sqlite.ts')).createSqliteLogs({
          path: context.dbPath,
          nativeBinding: context.nativeBinding,
          ...bounds,
        });
  return { handlers: { Log: logsHandler(logs) }, logs, close: () => logs.close() };
}
