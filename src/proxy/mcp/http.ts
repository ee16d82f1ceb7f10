// MCP over Streamable HTTP at one path: stateful sessions, each the SDK's
// StreamableHTTPServerTransport with a Server of its own (server.ts). The gateway hands it its
// `/mcp` requests; `micro mcp serve --http` runs it on a server of its own (listenMcpHttp: Host
// check, a 4 MiB body limit, loopback unless told otherwise).
//
// Guarantees: a browser's Origin that is not the server's own host (nor allowed) is a 403, as the
// spec asks of servers; a session is bound to the caller that opened it (the same account when
// auth verified one, else the same token, else none: another one is a 403); an unknown or expired
// session is a 404 (the client then initializes a new one); the bounds on sessions (count, share
// per caller, idle time) are sessions.ts's, past them an initialize is a 503. These refusals are micro's
// `{id, code, detail, status}`; what the SDK refuses (406, 415, a bad JSON-RPC message) is a
// JSON-RPC error, as the spec shows them. A body that is not JSON is a JSON-RPC parse error
// (-32700) with HTTP 400.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import {
  MicroError,
  badRequest,
  forbidden,
  methodNotAllowed,
  notFound,
  toMicroError,
} from '../../runtime/errors.ts';
import { foreignOrigin, hostAllowed } from '../../runtime/http-guard.ts';
import { formatAddress, parseAddress } from '../../runtime/transport/address.ts';
import { callerOf, needsToken, refusalHeaders, tokenOf, type EdgeVerifier } from '../auth/edge.ts';
import { answerClientError } from '../client-error.ts';
import { readBody, send, sendError } from '../http-io.ts';
import { SERVER_TIMEOUTS } from '../timeouts.ts';
import { MCP_ID } from './invoke.ts';
import type { McpHttp, McpHttpOptions, McpParts } from './mcp.ts';
import { createSessions, ownerOf } from './sessions.ts';

/** The defaults of McpHttpOptions. */
export const MCP_HTTP_DEFAULTS = { maxSessions: 100, idleTimeout: 30 * 60_000 } as const;

/** Answers a JSON-RPC error with no id (the message could not be read), with an HTTP status. */
export function sendJsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
): void {
  send(res, status, JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }));
}

/** True for a body holding an initialize request (alone or in a batch). */
const hasInitialize = (body: unknown): boolean =>
  Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);

/** Streamable HTTP for `parts`: sessions, each one MCP Server. */
export function createMcpHttp(parts: McpParts, options: McpHttpOptions = {}): McpHttp {
  const maxSessions = options.maxSessions ?? MCP_HTTP_DEFAULTS.maxSessions;
  const idleTimeout = options.idleTimeout ?? MCP_HTTP_DEFAULTS.idleTimeout;
  const allowedOrigins = (options.allowedOrigins ?? []).map((o) => o.replace(/\/$/, ''));
  const warn = (m: string): void => parts.logger?.warn(`micro mcp: ${m}`);
  const sessions = createSessions(parts, { maxSessions, idleTimeout, warn });

  const refuseOrigin = (raw: IncomingMessage): void => {
    if (foreignOrigin(raw.headers, allowedOrigins))
      throw forbidden(
        MCP_ID,
        `origin ${JSON.stringify(String(raw.headers.origin).slice(0, 200))} may not use this MCP server: it is neither the server's own nor an allowed one`,
      );
  };

  return {
    async handle(raw, res, body, who) {
      try {
        refuseOrigin(raw);
        const method = raw.method ?? 'GET';
        if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
          res.setHeader('allow', 'GET, POST, DELETE');
          throw methodNotAllowed(MCP_ID, `${method.slice(0, 20)}: MCP takes POST, GET and DELETE`);
        }
        if (method === 'POST' && body === undefined)
          return sendJsonRpcError(res, 400, -32700, 'Parse error: the body is empty');
        const header = raw.headers['mcp-session-id'];
        if (header === undefined) {
          if (method !== 'POST' || !hasInitialize(body))
            throw badRequest(
              MCP_ID,
              'no Mcp-Session-Id header: open a session first (POST an initialize request)',
            );
          if (Array.isArray(body))
            return sendJsonRpcError(
              res,
              400,
              -32600,
              'Invalid Request: initialize must be sent alone',
            );
          const s = await sessions.open(who);
          await sessions.serve(s, raw, res, body);
          // An initialize the SDK refused (a bad message) opened no session.
          if (s.transport.sessionId === undefined) await sessions.end(s);
          return;
        }
        const s =
          typeof header === 'string' && header.length <= 100 ? sessions.get(header) : undefined;
        if (!s)
          throw notFound(MCP_ID, 'no such MCP session (it ended or expired): initialize a new one');
        if (ownerOf(who) !== s.owner)
          throw forbidden(MCP_ID, 'this MCP session was opened by another caller');
        // The same account may come back with a fresh token: calls then carry the new one.
        if (who.token !== undefined) s.who.token = who.token;
        if (who.ip !== undefined) s.who.ip = who.ip;
        await sessions.serve(s, raw, res, body);
      } catch (err) {
        sendError(res, toMicroError(err, MCP_ID));
      }
    },
    sessions: () => sessions.size(),
    close: () => sessions.close(),
  };
}

/** Options of listenMcpHttp: the session bounds, and the listener's own. */
export interface McpListenOptions extends McpHttpOptions {
  /** Host names served besides the loopback ones when bound to loopback. */
  allowedHosts?: string[];
  /** Bytes a request body may have (default 4 MiB). */
  bodyLimit?: number;
  /** Given when auth is on: a request needs a valid token (`Authorization: Bearer`). */
  verifier?: EdgeVerifier;
}

/** The MCP endpoint's path on its own server. */
export const MCP_PATH = '/mcp';

/** A running `micro mcp serve --http`. */
export interface McpListener {
  /** `host:port` it listens on. */
  address: string;
  /** Sessions open now. */
  sessions(): number;
  /** Ends every session and stops listening. */
  close(): Promise<void>;
}

/**
 * Serves `parts` over Streamable HTTP at `http://<address>/mcp` (`:port` listens on 127.0.0.1).
 * Bound to loopback, only requests naming a loopback host are served (421 otherwise).
 */
export async function listenMcpHttp(
  parts: McpParts,
  address: string,
  options: McpListenOptions = {},
): Promise<McpListener> {
  const { host, port } = parseAddress(address);
  const limit = options.bodyLimit ?? 4 << 20;
  const hostOk = hostAllowed(host, options.allowedHosts);
  const mcp = createMcpHttp(parts, options);

  const handle = async (raw: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      if (!hostOk(raw.headers)) {
        res.shouldKeepAlive = false;
        const name = JSON.stringify((raw.headers.host ?? '').slice(0, 100));
        throw new MicroError(
          MCP_ID,
          421,
          `host ${name} is not served here: bound to loopback, this server answers loopback names only`,
          'Misdirected Request',
        );
      }
      const path = (raw.url ?? '/').split('?')[0];
      if (path !== MCP_PATH)
        throw notFound(MCP_ID, `nothing at ${path?.slice(0, 100)}: MCP is at ${MCP_PATH}`);
      const token = tokenOf(MCP_ID, raw.headers);
      const found = options.verifier ? await callerOf(options.verifier, token) : undefined;
      if (options.verifier && !found) throw needsToken(MCP_ID, MCP_PATH);
      const bytes = await readBody(raw, res, limit).catch((err: unknown) => {
        throw err instanceof MicroError && err.code === 413
          ? new MicroError(MCP_ID, 413, `the request body is over ${limit} bytes`, err.status)
          : err;
      });
      let body: unknown;
      if (bytes !== undefined && raw.method === 'POST') {
        try {
          body = JSON.parse(bytes.toString('utf8'));
        } catch {
          return sendJsonRpcError(res, 400, -32700, 'Parse error: the body is not JSON');
        }
      }
      const ip = raw.socket.remoteAddress;
      await mcp.handle(raw, res, body, { caller: found, token, ...(ip && { ip }) });
    } catch (err) {
      const headers = refusalHeaders(err);
      if (headers && !res.headersSent) for (const k in headers) res.setHeader(k, headers[k]!);
      sendError(res, toMicroError(err, MCP_ID));
    }
  };

  // Without a Host Node answers a bare 400; the Host check here decides (as for HTTP/1.0 clients).
  const server = createServer(
    { ...SERVER_TIMEOUTS, requireHostHeader: false },
    (raw, res) => void handle(raw, res),
  );
  server.on('clientError', answerClientError(MCP_ID));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  let closing: Promise<void> | undefined;
  return {
    address: typeof bound === 'object' && bound ? formatAddress(host, bound.port) : address,
    sessions: () => mcp.sessions(),
    close() {
      closing ??= (async () => {
        await mcp.close();
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
