import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import type { ClientStream } from '../../runtime/client/client.ts';
import { MicroError, badRequest } from '../../runtime/errors.ts';
import type { Metadata } from '../../runtime/metadata.ts';
import { streamKindOf, type StreamKind } from '../../runtime/server/handler.ts';
import { filtersFor, routeTimeout } from '../call.ts';
import { asError, httpStatus } from '../errors.ts';
import { GATEWAY_ID, type GatewayRequest, type Target } from '../proxy.ts';
import { coerce, parseJson } from '../request.ts';
import { jsonBytes, type HandlerDeps } from './deps.ts';

type EndpointTarget = Extract<Target, { kind: 'rpc' | 'api' }>;

/** The stream kind an endpoint advertises: `server`, `client`, `bidi`, or `unary`. */
export const streamKind = (t: EndpointTarget): StreamKind => streamKindOf(t.record);

/** Opens the stream with the call's metadata, version and (only when the endpoint declares one) deadline. */
function open(deps: HandlerDeps, t: EndpointTarget, metadata: Metadata): Promise<ClientStream> {
  const declared = routeTimeout(t.record);
  return deps.client.stream(t.service, t.endpoint, {
    metadata,
    filters: filtersFor(t.version),
    ...(declared !== undefined ? { timeout: declared } : {}),
  });
}

/**
 * Bridges an accepted WebSocket to a stream endpoint. Each text (or binary) message from the
 * client is one JSON request; an empty message ends the requests. Each response is one JSON text
 * message; the gateway closes with 1000 when the stream completes, or sends the error JSON and
 * closes with 4000 + its code (4404, 4503, ...). For server streams and unary endpoints a query
 * string is the request, so a browser can open them without sending anything.
 */
export async function bridgeWebSocket(
  deps: HandlerDeps,
  ws: WebSocket,
  req: GatewayRequest,
  target: EndpointTarget,
  metadata: Metadata,
): Promise<void> {
  const single = streamKind(target) === 'server' || streamKind(target) === 'unary';
  const early: unknown[] = [];
  let stream: ClientStream | undefined;
  let ended = false;
  let failed = false;
  const fail = (err: unknown): void => {
    if (failed) return;
    failed = true;
    const e = asError(err);
    stream?.close();
    if (ws.readyState === ws.OPEN) {
      ws.send(JSON.stringify(e));
      ws.close(4000 + httpStatus(e), e.status.slice(0, 100));
    }
  };
  const push = (value: unknown): void => {
    if (ended) return;
    if (stream) stream.send(value);
    else early.push(value);
    if (single) end();
  };
  const end = (): void => {
    ended = true;
    stream?.end();
  };
  deps.metrics.streams(1);
  ws.on('message', (data: Buffer) => {
    if (ended || failed) return;
    if (data.length === 0) return end();
    try {
      push(parseJson(data.toString('utf8'), deps.limits.depth));
    } catch (err) {
      fail(err);
    }
  });
  ws.on('close', () => {
    if (!failed) stream?.close();
    failed = true;
  });
  ws.on('error', () => ws.terminate());
  if (single && Object.keys(req.query).length > 0) push(coerce(req.query, target.record?.request));
  try {
    stream = await open(deps, target, metadata);
    if (failed) return stream.close();
    for (const m of early) stream.send(m);
    if (ended) stream.end();
    for await (const m of stream) {
      if (ws.readyState !== ws.OPEN) break;
      ws.send(jsonBytes(m), { binary: false });
    }
    if (!failed && ws.readyState === ws.OPEN) ws.close(1000);
  } catch (err) {
    fail(err);
  } finally {
    deps.metrics.streams(-1);
  }
}

/** One server-sent event carrying JSON; lines are split so a newline in the data cannot end it. */
const event = (data: Buffer | string, name?: string): string =>
  `${name ? `event: ${name}\n` : ''}${data
    .toString()
    .split('\n')
    .map((l) => `data: ${l}`)
    .join('\n')}\n\n`;

/**
 * Serves a server stream as server-sent events: one `data:` event per message, then `event: end`,
 * or `event: error` with the error JSON. A failure before the first message is answered as an
 * ordinary error response instead (the status not yet sent). Resolves with the status sent.
 */
export async function serveSse(
  deps: HandlerDeps,
  res: ServerResponse,
  target: EndpointTarget,
  request: unknown,
  metadata: Metadata,
): Promise<number> {
  if (streamKind(target) !== 'server' && streamKind(target) !== 'unary')
    throw badRequest(
      GATEWAY_ID,
      `${target.endpoint} is a ${streamKind(target)} stream: open a WebSocket on this path`,
    );
  const stream = await open(deps, target, metadata);
  // The client may leave before the first message as well as after it.
  res.on('close', () => {
    if (!res.writableFinished) stream.close();
  });
  stream.send(request);
  stream.end();
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next(); // throws before anything is written: an ordinary error response
  deps.metrics.streams(1);
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  try {
    for (let r = first; !r.done; r = await it.next()) {
      if (res.destroyed) break;
      res.write(event(jsonBytes(r.value)));
    }
    res.end(event('{}', 'end'));
  } catch (err) {
    const e = err instanceof MicroError ? err : asError(err);
    res.end(event(JSON.stringify(e), 'error'));
  } finally {
    deps.metrics.streams(-1);
  }
  return 200;
}
