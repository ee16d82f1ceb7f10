// The control plane's `trace` service: any Trace served over RPC as the `Trace` handler.
// `Export` takes an OTLP JSON ExportTraceServiceRequest (what every process's exporter sends, see
// exporter.ts) and answers an ExportTraceServiceResponse (`{}`: nothing is ever partly taken, a bad
// request is a 400 and nothing of it is stored); `Write` takes spans as SpanRecords; `List`, `Get`
// ({id}) and `Map` read them back. hostTrace keeps them in micro.db (SQLite, bounded by
// MICRO_TRACE_KEEP spans and MICRO_TRACE_MAX_AGE ms), or in memory with MICRO_TRACE_STORE=memory.
// With auth on, the control plane's guard decides who may call it, as for any of its services.
import { passedAsIs } from '../../runtime/server/closed.ts';
import { endpoint } from '../../runtime/server/declare.ts';
import type { Handler } from '../../runtime/server/handler.ts';
import type { HostContext, Hosted } from '../hosting.ts';
import { decodeOtlpJson } from './otlp.ts';
import type { Trace, TraceQuery } from './trace.ts';
import { boundsFromEnv, checkTraceId, TRACE_ID, TRACE_LIMITS } from './validate.ts';

/** The request as is, once closed() found only its fields (the Trace checks the values). */
const asIs = passedAsIs(TRACE_ID, 'Trace');

const ms = (description: string) => ({ type: 'number', minimum: 0, description });

/** The Trace handler: the contract's endpoints over `trace`. */
export function traceHandler(trace: Trace): Handler {
  return {
    Export: endpoint(
      {
        request: asIs('Export', {
          resourceSpans: {
            type: 'array',
            description: `OTLP JSON ResourceSpans (ids in hex, times in unix ns); at most ${TRACE_LIMITS.batch} spans in all`,
          },
        }),
      },
      async (req) => {
        await trace.write(decodeOtlpJson(req));
        return {};
      },
    ),
    Write: endpoint(
      {
        request: asIs(
          'Write',
          {
            spans: {
              type: 'array',
              maxItems: TRACE_LIMITS.batch,
              items: { type: 'object' },
              description: 'SpanRecords (src/platform/trace/trace.ts)',
            },
          },
          ['spans'],
        ),
      },
      async (req) => {
        await trace.write(req.spans as never);
        return {};
      },
    ),
    List: endpoint(
      {
        request: asIs('List', {
          service: { type: 'string', description: 'a span of this service is in the trace' },
          endpoint: { type: 'string', description: 'a span of this endpoint is in the trace' },
          status: { enum: ['ok', 'error'] },
          minDuration: ms('the trace took at least this long, ms'),
          maxDuration: ms('the trace took at most this long, ms'),
          since: ms('started at or after, ms since the epoch'),
          until: ms('started before, ms since the epoch'),
          limit: {
            type: 'integer',
            minimum: 1,
            maximum: TRACE_LIMITS.listMax,
            description: `newest first; default ${TRACE_LIMITS.list}`,
          },
        }),
      },
      async (req) => ({ traces: await trace.list(req as TraceQuery) }),
    ),
    Get: endpoint(
      {
        request: asIs('Get', { id: { type: 'string', description: '32 hex digits' } }, ['id']),
      },
      async (req) => trace.get(checkTraceId(req.id, 'id')),
    ),
    Map: endpoint(
      {
        request: asIs('Map', {
          since: ms('default: 15 minutes before until'),
          until: ms('default: now'),
        }),
      },
      async (req) => trace.map(req as { since?: number; until?: number }),
    ),
  };
}

/**
 * Hosts the trace service in the control plane: SQLite in micro.db bounded by MICRO_TRACE_KEEP
 * and MICRO_TRACE_MAX_AGE, or memory when the control plane's MICRO_TRACE_STORE is `memory`.
 */
export async function hostTrace(context: HostContext): Promise<Hosted> {
  const engine = context.env.MICRO_TRACE_STORE || 'micro';
  if (engine !== 'micro' && engine !== 'memory')
    throw new TypeError(
      `unknown trace store "${engine}" (MICRO_TRACE_STORE): the control plane keeps spans in micro (SQLite) or memory`,
    );
  const bounds = boundsFromEnv(context.env);
  const trace =
    engine === 'memory'
      ? (await import('./memory.ts')).createMemoryTrace(bounds)
      : (await import('./sqlite.ts')).createSqliteTrace({
          ...bounds,
          path: context.dbPath,
          nativeBinding: context.nativeBinding,
        });
  return { handlers: { Trace: traceHandler(trace) }, close: () => trace.close(), trace };
}
