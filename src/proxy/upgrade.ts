import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { MicroError, badRequest, forbidden } from '../runtime/errors.ts';
import type { Cors } from './cors.ts';
import { asError, foreignHost, httpStatus, refuseUpgrade, tooManyRequests } from './errors.ts';
import type { HandlerDeps } from './handlers/deps.ts';
import type { HttpProxy } from './handlers/http.ts';
import { bridgeWebSocket } from './handlers/stream.ts';
import {
  GATEWAY_ID,
  type GatewayContext,
  type GatewayRequest,
  type Middleware,
  type Target,
} from './proxy.ts';
import type { RateLimiter } from '../runtime/resilience/rate-limit.ts';
import { gatewayRequest, unparsedRequest } from './http-io.ts';
import type { RequestLimits } from './limits.ts';
import { metadataFrom } from './request.ts';
import type { TargetResolver } from './target.ts';
import type { GatewayAuth } from './auth/gateway.ts';
import { refusalHeaders } from './auth/edge.ts';

/** What the upgrade handler needs from the gateway. */
export interface UpgradeOptions {
  deps: HandlerDeps;
  targets: TargetResolver;
  cors: Cors;
  limiter: RateLimiter | undefined;
  proxy: HttpProxy;
  headers: string[];
  middleware: Middleware[];
  bodyLimit: number;
  limits: RequestLimits;
  /** False for a Host the gateway does not serve (see GatewayOptions.allowedHosts). */
  hostOk: (headers: IncomingHttpHeaders) => boolean;
  record: (
    req: GatewayRequest,
    url: string,
    status: number,
    t0: number,
    t: Target | undefined,
  ) => void;
  /** Auth, when on: the token from the Authorization header or the `access_token` parameter. */
  auth?: GatewayAuth;
}

/** Handles the HTTP server's `upgrade` events: WebSocket streams to endpoints, and `web` proxying. */
export interface UpgradeHandler {
  handle(raw: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every WebSocket it opened. */
  close(): void;
}

/** True when the Origin names the host the request was sent to (a same-site page). */
function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Creates the upgrade handler; cross-site pages may only open sockets from origins on the CORS list. */
export function createUpgradeHandler(o: UpgradeOptions): UpgradeHandler {
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.bodyLimit });
  const open = new Set<WebSocket>();
  // A handshake ws cannot accept (no key, wrong version, not GET) is refused in the error shape,
  // not with ws's own text/html answer.
  wss.on('wsClientError', (err: Error, socket: Duplex) => {
    const version = /Version/.test(err.message);
    const e = /method/.test(err.message)
      ? new MicroError(GATEWAY_ID, 405, `a WebSocket is opened with GET: ${err.message}`)
      : badRequest(GATEWAY_ID, `not a WebSocket handshake: ${err.message}`);
    refuseUpgrade(socket, e, version ? { 'Sec-WebSocket-Version': '13, 8' } : {});
  });

  const serve = async (raw: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const t0 = performance.now();
    const url = raw.url ?? '/';
    let req: GatewayRequest | undefined;
    let target: Target | undefined;
    let status = 101;
    try {
      if (!o.hostOk(raw.headers)) throw foreignHost(raw.headers.host);
      req = gatewayRequest(raw, o.limits);
      const origin = raw.headers.origin;
      if (origin && !o.cors.allows(origin) && !sameHost(origin, raw.headers.host))
        throw forbidden(
          GATEWAY_ID,
          `origin ${origin} may not open WebSockets here (the gateway's CORS list: --api-cors)`,
        );
      const wait = o.limiter?.take(req.ip) ?? 0;
      if (wait > 0) throw tooManyRequests(`${req.ip} sent too many requests`, wait);
      const who = await o.auth?.caller(req, true);
      target = await o.targets.resolve(req);
      const ctx: GatewayContext = { target, metadata: metadataFrom(req, o.headers) };
      if (who) o.auth?.check(req, target, who, ctx.metadata);
      for (const m of o.middleware) await m(req, ctx);
      const t = target;
      if (t.kind === 'web') return await o.proxy.upgrade(raw, socket, head, t, ctx.metadata);
      if (t.kind !== 'rpc' && t.kind !== 'api')
        throw badRequest(
          GATEWAY_ID,
          `${req.path} does not take WebSockets${t.kind === 'http' ? ' (its service is proxied as http; web proxies WebSockets)' : ''}`,
        );
      const r = req;
      wss.handleUpgrade(raw, socket, head, (ws) => {
        open.add(ws);
        ws.on('close', () => open.delete(ws));
        void bridgeWebSocket(o.deps, ws, r, t, ctx.metadata);
      });
    } catch (err) {
      const e = asError(err);
      status = httpStatus(e);
      refuseUpgrade(socket, e, refusalHeaders(err));
    } finally {
      o.record(req ?? unparsedRequest(raw), url, status, t0, target);
    }
  };

  return {
    handle(raw, socket, head) {
      socket.on('error', () => socket.destroy());
      void serve(raw, socket, head);
    },
    close() {
      for (const ws of open) ws.terminate();
      open.clear();
      wss.close();
    },
  };
}
