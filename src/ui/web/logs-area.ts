// The dashboard's routes to the logs area (the control plane's `logs` service through the Logs
// interface): GET /_/api/logs/sources (the services with lines kept) and /_/api/logs/read (the
// last lines matching, oldest first). The query's fields are checked here, so a hostile one is a
// 400 naming the field before the logs see it; logs-stream.ts follows the same query live.
import { LOG_LEVELS, type LogLevel, type LogQuery, type Logs } from '../../platform/logs/logs.ts';
import { badRequest } from '../../runtime/index.ts';
import { areaGet, defined, optInt, optText, type AreaRoute, type Fields } from './area-routes.ts';
import type { Kind } from './platform.ts';
import { WEB_ID } from './web.ts';

/** Most lines one read gives the page (the logs' own bound). */
export const MAX_LOG_READ = 1000;

const TIME = 8.64e15;

/** The fields a logs query takes in the dashboard. */
export const LOG_QUERY_FIELDS: Record<string, Kind> = {
  service: 'text',
  level: 'text',
  grep: 'text',
  trace: 'text',
  since: 'number',
  until: 'number',
  after: 'number',
  limit: 'number',
};

/** The LogQuery of a request's fields; a bad value is a 400 naming its field. */
export function logQueryOf(r: Fields): LogQuery {
  const level = optText(r, 'level', 16)?.toLowerCase();
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level))
    throw badRequest(WEB_ID, `level must be one of ${LOG_LEVELS.join(', ')}`);
  const trace = optText(r, 'trace', 64)?.toLowerCase();
  if (trace !== undefined && !/^[0-9a-f]{32}$/.test(trace))
    throw badRequest(WEB_ID, 'trace must be a trace id of 32 hex digits');
  return defined({
    service: optText(r, 'service', 128),
    level: level as LogLevel | undefined,
    grep: optText(r, 'grep', 256),
    trace,
    since: optInt(r, 'since', 0, TIME),
    until: optInt(r, 'until', 0, TIME),
    after: optInt(r, 'after', 0, Number.MAX_SAFE_INTEGER),
    limit: optInt(r, 'limit', 1, MAX_LOG_READ),
  });
}

/** The logs area's routes, by path under /_/api/. */
export const LOGS_ROUTES: Readonly<Record<string, AreaRoute<Logs>>> = {
  'logs/sources': areaGet({}, async (logs) => ({ sources: await logs.sources() })),
  'logs/read': areaGet(LOG_QUERY_FIELDS, async (logs, r) => ({
    records: await logs.read(logQueryOf(r)),
  })),
};
