// The dashboard's routes to the traces (the control plane's `trace` service, held as the Trace
// interface): GET /_/api/trace/list (filters service, endpoint, status, min and max duration,
// since, limit), /trace/get?id= (a trace's spans), /trace/map (the service map over a window),
// and /trace/logs?id= (the trace's log lines from the `logs` service, or a note when there is
// none, called as the dashboard's user). Each field is checked before the service sees it.
import type { Trace, TraceQuery } from '../../platform/trace/trace.ts';
import { badRequest, type Client } from '../../runtime/index.ts';
import { traceLogs } from '../trace-logs.ts';
import { areaGet, defined, needText, optInt, optText, type AreaRoute } from './area-routes.ts';
import { WEB_ID } from './web.ts';

/** What the trace routes use: the traces, and the client the log lines are read through. */
export interface TraceArea {
  trace: Trace;
  client: Client;
}

const TIME = 8.64e15;
const DAY = 86_400_000;

/** A trace id (32 hex digits), lower-cased; anything else is a 400. */
function traceId(r: Record<string, unknown>): string {
  const id = needText(r, 'id').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(id)) throw badRequest(WEB_ID, 'id must be a trace id: 32 hex digits');
  return id;
}

/** `ok`, `error` or absent. */
function status(r: Record<string, unknown>): TraceQuery['status'] {
  const s = optText(r, 'status', 10);
  if (s === undefined || s === 'ok' || s === 'error') return s;
  throw badRequest(WEB_ID, 'status must be ok or error');
}

/** The trace area's routes, by path under /_/api/. */
export const TRACE_ROUTES: Readonly<Record<string, AreaRoute<TraceArea>>> = {
  'trace/list': areaGet(
    {
      service: 'text',
      endpoint: 'text',
      status: 'text',
      min: 'number',
      max: 'number',
      since: 'number',
      until: 'number',
      limit: 'number',
    },
    async (a, r) => ({
      traces: await a.trace.list(
        defined({
          service: optText(r, 'service', 255),
          endpoint: optText(r, 'endpoint', 255),
          status: status(r),
          minDuration: optInt(r, 'min', 0, DAY),
          maxDuration: optInt(r, 'max', 0, DAY),
          since: optInt(r, 'since', 0, TIME),
          until: optInt(r, 'until', 0, TIME),
          limit: optInt(r, 'limit', 1, 500) ?? 50,
        }),
      ),
    }),
  ),
  'trace/get': areaGet({ id: 'text' }, (a, r) => a.trace.get(traceId(r))),
  'trace/map': areaGet({ since: 'number', until: 'number' }, (a, r) =>
    a.trace.map(
      defined({ since: optInt(r, 'since', 0, TIME), until: optInt(r, 'until', 0, TIME) }),
    ),
  ),
  'trace/logs': areaGet({ id: 'text' }, (a, r) => traceLogs(a.client, traceId(r))),
};
