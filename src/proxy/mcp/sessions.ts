// The sessions of MCP over Streamable HTTP (http.ts): each the SDK's StreamableHTTPServerTransport
// with a Server of its own (server.ts), bound to the caller that opened it.
//
// Bounds: `maxSessions` open at once (past them an initialize is a 503), and a quarter of them (at
// least one) per account, the callers with no verified account (auth off, or no token) counting as
// one: a new session past its share closes the least recently used one of that share, so that one
// account cannot hold them all (and made-up tokens, never verified, make no new shares). A session with no request open for
// `idleTimeout` ms is closed (an open GET stream is a request open). A closed session's id is
// forgotten: its client gets a 404 and, as the spec asks, initializes a new one.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { serviceUnavailable } from '../../runtime/errors.ts';
import { MCP_ID } from './invoke.ts';
import type { McpCaller, McpHttpCaller, McpParts } from './mcp.ts';
import { holdNotices, type Notices } from './notices.ts';
import { createMcpServer } from './server.ts';

/** One open session. */
export interface Session {
  id: string;
  transport: StreamableHTTPServerTransport;
  server: Server;
  who: McpCaller;
  /** Who may use it: `account:<id>`, `token:<token>`, or '' (anyone: no auth, no token). */
  owner: string;
  /** Whose share it counts in: the account's id, or '' (no verified account). */
  share: string;
  /** The list_changed notifications held while the client has no GET stream open. */
  notices: Notices;
  /** Requests open now: the idle clock runs only at 0. */
  open: number;
  /** When a request last came (performance.now()). */
  used: number;
  idle?: NodeJS.Timeout;
}

/** Whom a request's caller may share a session with. */
export const ownerOf = (who: McpHttpCaller): string =>
  who.caller ? `account:${who.caller.id}` : who.token !== undefined ? `token:${who.token}` : '';

/** The open sessions. */
export interface Sessions {
  get(id: string): Session | undefined;
  size(): number;
  /** Opens a session for `who` (closing its least recently used one past its share); a 503 when full. */
  open(who: McpHttpCaller): Promise<Session>;
  /** Hands one request to the session's transport. */
  serve(s: Session, raw: IncomingMessage, res: ServerResponse, body: unknown): Promise<void>;
  /** Closes one. */
  end(s: Session): Promise<void>;
  /** Closes them all. */
  close(): Promise<void>;
}

/** The session table over `parts`. */
export function createSessions(
  parts: McpParts,
  o: { maxSessions: number; idleTimeout: number; warn: (m: string) => void },
): Sessions {
  const sessions = new Map<string, Session>();
  const perShare = Math.max(1, Math.floor(o.maxSessions / 4));

  const drop = (s: Session): void => {
    clearTimeout(s.idle);
    if (sessions.get(s.id) === s) sessions.delete(s.id);
  };
  const end = (s: Session): Promise<void> => {
    drop(s);
    return s.server.close().catch((err: unknown) => o.warn(`closing a session: ${String(err)}`));
  };

  /** Closes the least recently used session of a share that is full. */
  const makeRoom = async (of: string): Promise<void> => {
    let count = 0;
    let oldest: Session | undefined;
    for (const s of sessions.values()) {
      if (s.share !== of) continue;
      count++;
      if (!oldest || s.used < oldest.used) oldest = s;
    }
    if (count >= perShare && oldest) await end(oldest);
  };

  return {
    get: (id) => sessions.get(id),
    size: () => sessions.size,
    end,
    async open(who) {
      const of = who.caller ? who.caller.id : '';
      await makeRoom(of);
      if (sessions.size >= o.maxSessions) {
        const e = serviceUnavailable(
          MCP_ID,
          `too many MCP sessions open (${o.maxSessions}); retry later`,
        );
        e.retryAfter = 5;
        throw e;
      }
      const id = randomUUID();
      const caller: McpCaller = { session: id, transport: 'http', client: 'unknown', ...who };
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id });
      const server = createMcpServer(parts, caller);
      const notices = holdNotices(transport, o.warn);
      const owner = ownerOf(who);
      const used = performance.now();
      const s: Session = {
        id,
        transport,
        server,
        who: caller,
        owner,
        share: of,
        notices,
        open: 0,
        used,
      };
      transport.onclose = () => drop(s);
      sessions.set(id, s);
      await server.connect(transport);
      return s;
    },
    async serve(s, raw, res, body) {
      clearTimeout(s.idle);
      s.open++;
      s.used = performance.now();
      res.once('close', () => {
        if (--s.open > 0 || !sessions.has(s.id)) return;
        s.idle = setTimeout(() => void end(s), o.idleTimeout);
        s.idle.unref();
      });
      s.notices.watch(raw, res);
      // The SDK's adapter makes a URL of the Host, answering one it cannot parse (or none) with a
      // bare 400: the Host was checked before (listenMcpHttp, the gateway) and is not needed here.
      raw.headers.host = 'localhost';
      await s.transport.handleRequest(raw, res, body);
    },
    async close() {
      await Promise.all([...sessions.values()].map(end));
    },
  };
}
