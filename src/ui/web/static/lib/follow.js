// Follows the platform's events (GET /_/api/events/stream) as server-sent events: each batch handed
// over as it comes, and why the stream failed when the dashboard answered an error (an EventSource
// does not retry those, and does not say why: the answer is read again to tell). What the pages
// with live platform events (Platform; MCP and Bot, through audit.js) share.
import { parse } from './api.js';

/** @typedef {{ source: string, actor: string, action: string, target: string, result: string, code: number, ms: number, detail?: string, client?: string, session?: string, transport?: string }} AuditLine */
/** @typedef {{ topic: string, offset: number, time: number, action: string, name: string, summary: string, audit?: AuditLine }} PlatformLine */

/**
 * Opens the stream with this query (topic, action, text, backlog); returns what closes it.
 * @param {URLSearchParams} q
 * @param {{ onEvents: (events: PlatformLine[]) => void, onProblem: (line: string | undefined) => void }} o
 *   onProblem gets a line when the stream failed, and undefined once it is following
 * @returns {() => void}
 */
export function followEvents(q, o) {
  const stream = new EventSource(`/_/api/events/stream?${q}`);
  let closed = false;
  stream.addEventListener('ready', () => o.onProblem(undefined));
  stream.addEventListener('events', (m) => {
    o.onEvents(
      /** @type {{ events: PlatformLine[] }} */ (
        parse(/** @type {MessageEvent<string>} */ (m).data)
      ).events,
    );
  });
  stream.addEventListener('error', () => {
    if (stream.readyState === EventSource.CLOSED) void why();
  });

  async function why() {
    const stop = new AbortController();
    /** @type {{ error?: { code: number, status: string, detail: string } } | undefined} */
    let body;
    let status = 0;
    try {
      const res = await fetch(`/_/api/events/stream?${q}`, { signal: stop.signal });
      if (res.ok) return stop.abort();
      status = res.status;
      body = /** @type {typeof body} */ (parse(await res.text()));
    } catch {
      body = undefined;
    }
    if (!closed)
      o.onProblem(
        `${body?.error?.code ?? status} ${body?.error?.status ?? ''}: ${body?.error?.detail ?? 'the events stream failed'}`,
      );
  }

  return () => {
    closed = true;
    stream.close();
  };
}
