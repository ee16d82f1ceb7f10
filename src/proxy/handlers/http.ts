import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, isIP, type Socket } from 'node:net';
import { Readable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { context } from '@opentelemetry/api';
import { Agent } from 'undici';
import { injectTraceContext } from '../../platform/trace/propagation.ts';
import type { Node } from '../../registry/registry.ts';
import { MicroError, badGateway, toMicroError } from '../../runtime/errors.ts';
import type { Metadata } from '../../runtime/metadata.ts';
import type { Selector } from '../../runtime/selector/selector.ts';
import { clientTlsFromEnv } from '../../runtime/defaults.ts';
import { parseAddress } from '../../runtime/transport/address.ts';
import { filtersFor } from '../call.ts';
import { refuseUpgrade } from '../errors.ts';
import { BASE_PATH_HEADER, hopHeaders } from '../headers.ts';
import { GATEWAY_ID, type GatewayRequest, type Target } from '../proxy.ts';
import { servingNodes } from '../target.ts';

/** Request headers the proxy sets itself (Host aside), and Expect, which the server answered. */
const OWN = new Set(['content-length', 'expect', BASE_PATH_HEADER]);

/** Errors that mean the node never got the request, so another node may take it. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** A service proxied as a whole. */
export type ProxyTarget = Extract<Target, { kind: 'http' | 'web' }>;

/** Options of the reverse proxy. */
export interface HttpProxyOptions {
  /** Picks the nodes; those that cannot be reached are marked, so it avoids them for a while. */
  selector: Selector;
  /** Further attempts, each on another node, when one cannot be reached (default 0). */
  retries?: number;
  /** Ms a node may take to send its headers, and between body chunks; 0 waits forever (default). */
  timeout?: number;
  /** Error id of the proxy's own errors (default the gateway's). */
  id?: string;
}

/**
 * The reverse proxy of the gateway and the dashboard, to services that speak HTTP themselves:
 * `http` as they are, `web` under their `/[name]` prefix with WebSocket upgrades.
 */
export interface HttpProxy {
  /**
   * Forwards a request to a node of the service and streams its answer back; `url` is the request
   * target as the client sent it; a body read already is a Buffer, one still arriving the request.
   */
  forward(
    req: GatewayRequest,
    url: string,
    body: Buffer | Readable | undefined,
    target: ProxyTarget,
    metadata: Metadata,
    res: ServerResponse,
  ): Promise<void>;
  /** Forwards a WebSocket upgrade and then the raw bytes both ways; refuses it in the error shape. */
  upgrade(
    raw: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: ProxyTarget,
    metadata: Metadata,
  ): Promise<void>;
  close(): Promise<void>;
}

/**
 * The URL the service is asked for: unchanged for `http`; for `web` without the `/[service]`
 * prefix, so one app works behind the gateway and the dashboard.
 */
function upstreamUrl(url: string, t: ProxyTarget): string {
  if (t.kind !== 'web') return url;
  const rest = url.slice(t.prefix.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * The request headers passed on: all but hop-by-hop ones, with X-Forwarded-* from metadata and,
 * for `web`, the base path. The client's Host is kept, so a service's own Host and Origin checks
 * see the name the browser used; X-Forwarded-Host repeats it.
 */
function forwardHeaders(
  headers: IncomingMessage['headers'],
  metadata: Metadata,
  t: ProxyTarget,
): Record<string, string> {
  const drop = hopHeaders(headers.connection);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined && !drop.has(k) && !OWN.has(k))
      out[k] = Array.isArray(v) ? v.join(', ') : v;
  for (const [k, v] of Object.entries(metadata)) if (k.startsWith('x-forwarded-')) out[k] = v;
  out['x-forwarded-proto'] ??= 'http';
  if (headers.host) out['x-forwarded-host'] ??= headers.host;
  if (t.kind === 'web') out[BASE_PATH_HEADER] = t.prefix;
  // Traced: the service proxied to is a child of the gateway's request span.
  injectTraceContext(context.active(), out);
  return out;
}

/** Creates the reverse proxy; nodes are picked by the selector, among those that serve the target. */
export function createHttpProxy(o: HttpProxyOptions): HttpProxy {
  const id = o.id ?? GATEWAY_ID;
  const timeout = o.timeout ?? 0;
  const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000 });
  // Nodes serving TLS (metadata tls: on) get HTTPS, trusting MICRO_TLS_CA (made at the first).
  let tlsAgent: Agent | undefined;
  const secure = (node: Node): boolean => node.metadata.tls === 'on';
  const agentFor = (node: Node): Agent =>
    secure(node)
      ? (tlsAgent ??= new Agent({
          connections: 128,
          keepAliveTimeout: 30_000,
          connect: clientTlsFromEnv(),
        }))
      : agent;
  const sockets = new Set<Socket | Duplex>();

  /** Tries nodes in turn while they cannot be reached (once when the body can be read only once). */
  const withNode = async <T>(
    t: ProxyTarget,
    retries: number,
    attempt: (node: Node) => Promise<T>,
  ): Promise<T> => {
    const filters = [servingNodes(t.kind), ...(filtersFor(t.version) ?? [])];
    let last: unknown;
    let address = '';
    for (let i = 0; i <= retries; i++) {
      const next = await o.selector.select(t.service, { filters });
      const node = next();
      address = node.address;
      try {
        const out = await attempt(node);
        o.selector.mark(t.service, node);
        return out;
      } catch (err) {
        last = err;
        const code = (err as { code?: string }).code ?? '';
        if (!UNREACHABLE.has(code)) break;
        o.selector.mark(t.service, node, err as Error);
      }
    }
    if (last instanceof MicroError) throw last;
    const e = last as { code?: string; message?: string };
    if (e.code === 'UND_ERR_HEADERS_TIMEOUT')
      throw new MicroError(id, 504, `${t.service} did not answer in time`, 'Gateway Timeout');
    throw badGateway(
      id,
      `cannot reach ${t.service} at ${address}: ${e.code ?? e.message ?? String(last)}`,
    );
  };

  return {
    async forward(req, url, body, t, metadata, res) {
      if (t.kind === 'web' && req.path === t.prefix) {
        // `/app` to `/app/`, so the app's relative links resolve under its prefix.
        res.writeHead(308, { location: `${t.prefix}/${url.slice(t.prefix.length)}` });
        return void res.end();
      }
      const headers = forwardHeaders(req.headers, metadata, t);
      const streamed = body instanceof Readable;
      const length = req.headers['content-length'];
      if (streamed && length !== undefined) headers['content-length'] = length;
      // A client that goes away before the answer comes ends the request to the node too.
      const gone = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) gone.abort();
      });
      const answer = await withNode(t, streamed ? 0 : (o.retries ?? 0), (node) =>
        agentFor(node).request({
          signal: gone.signal,
          origin: `${secure(node) ? 'https' : 'http'}://${node.address}`,
          path: upstreamUrl(url, t),
          method: req.method,
          headers,
          body: streamed || (body && body.length > 0) ? body : undefined,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        }),
      );
      const drop = hopHeaders(String(answer.headers.connection ?? ''));
      const back: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers))
        if (v !== undefined && !drop.has(k)) back[k] = v;
      res.writeHead(answer.statusCode, back);
      await pipeline(answer.body, res).catch(() => res.destroy());
    },

    async upgrade(raw, socket, head, t, metadata) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      try {
        let address = '';
        const upstream = await withNode(
          t,
          o.retries ?? 0,
          (node) =>
            new Promise<Socket>((resolve, reject) => {
              address = node.address;
              const at = parseAddress(node.address);
              const s = secure(node)
                ? // node:tls loads only for a TLS node.
                  process.getBuiltinModule('node:tls').connect({
                    ...at,
                    ...clientTlsFromEnv(),
                    servername: isIP(at.host) === 0 ? at.host : undefined,
                  })
                : connect(at);
              s.once(secure(node) ? 'secureConnect' : 'connect', () => resolve(s));
              s.once('error', reject);
            }),
        );
        sockets.add(upstream);
        upstream.on('close', () => {
          sockets.delete(upstream);
          socket.destroy();
        });
        upstream.on('error', () => upstream.destroy());
        socket.on('close', () => upstream.destroy());
        const headers = forwardHeaders(raw.headers, metadata, t);
        headers.host ??= address;
        const lines = [`${raw.method ?? 'GET'} ${upstreamUrl(raw.url ?? '/', t)} HTTP/1.1`];
        for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
        lines.push('connection: Upgrade', `upgrade: ${raw.headers.upgrade ?? 'websocket'}`);
        upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (head.length > 0) upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      } catch (err) {
        refuseUpgrade(socket, toMicroError(err, id));
      }
    },

    async close() {
      for (const s of sockets) s.destroy();
      sockets.clear();
      await agent.destroy();
      await tlsAgent?.destroy();
    },
  };
}
