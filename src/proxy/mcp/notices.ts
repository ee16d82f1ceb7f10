// The list_changed notifications of one Streamable HTTP session, kept until its client listens.
//
// Over HTTP a notification that belongs to no request goes out on the session's GET stream (SSE);
// the SDK's transport drops it when that stream is not open, as it is not in the moment between
// the initialize and the client's GET, or while the client reconnects. A client would then never
// learn that the tool list changed. So the latest notification of each kind is held (at most one
// per method: they carry no data) and sent when the client opens its GET stream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage, JSONRPCNotification } from '@modelcontextprotocol/sdk/types.js';

/** A session's notices: call `watch` on each of its requests. */
export interface Notices {
  /** Notes when the request opens (or closes) the session's GET stream, and sends what was held. */
  watch(raw: IncomingMessage, res: ServerResponse): void;
}

const isListChanged = (m: JSONRPCMessage): m is JSONRPCNotification =>
  'method' in m && !('id' in m) && m.method.endsWith('/list_changed');

/** Holds the transport's list_changed notifications while no GET stream is open. */
export function holdNotices(
  transport: StreamableHTTPServerTransport,
  warn: (m: string) => void,
): Notices {
  const held = new Map<string, JSONRPCMessage>();
  let listening = 0;
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    if (listening === 0 && options?.relatedRequestId === undefined && isListChanged(message)) {
      held.set(message.method, message);
      return Promise.resolve();
    }
    return send(message, options);
  };
  const flush = (): void => {
    for (const m of held.values())
      send(m).catch((err: unknown) => warn(`notification not sent: ${String(err)}`));
    held.clear();
  };
  return {
    watch(raw, res) {
      if (raw.method !== 'GET') return;
      // The transport has registered the stream by the time its answer's head is written.
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
      res.writeHead = (...args: unknown[]) => {
        const r = writeHead(...args);
        if (res.statusCode === 200) {
          listening++;
          res.once('close', () => listening--);
          queueMicrotask(flush);
        }
        return r;
      };
    },
  };
}
