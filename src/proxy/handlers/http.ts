import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent } from 'undici';
import type { Node } from '../../registry/registry.ts';
import { MicroError, badGateway } from '../../runtime/errors.ts';
import type { Metadata } from '../../runtime/metadata.ts';
import { parseAddress } from '../../runtime/transport/address.ts';
import { filtersFor } from '../call.ts';
import { asError, refuseUpgrade } from '../errors.ts';
import { GATEWAY_ID, type GatewayRequest, type Target } from '../proxy.ts';
import type { HandlerDeps } from './deps.ts';

/** Hop-by-hop headers (RFC 9110 7.6.1), those the proxy sets itself, and Expect (answered here). */
const HOP = new Set([
  'connection',
  'expect',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/** Errors that mean the node never got the request, so another node may take it. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Reverse proxies to services that speak HTTP themselves (`http`), with WebSocket upgrades (`web`). */
export interface HttpProxy {
  /** Forwards a request to a node of the service and streams its answer back. */
  forward(
    req: GatewayRequest,
    url: string,
    body: Buffer | undefined,
    target: ProxyTarget,
    metadata: Metadata,
    res: ServerResponse,
  ): Promise<void>;
  /** Forwards a WebSocket upgrade and then the raw bytes both ways. */
  upgrade(
    raw: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: ProxyTarget,
    metadata: Metadata,
  ): Promise<void>;
  close(): Promise<void>;
}

type ProxyTarget = Extract<Target, { kind: 'http' | 'web' }>;

/** The header that tells a web app the path it is served under, as the dashboard's proxy sets it. */
const BASE_PATH = 'x-micro-web-base-path';

/**
 * The URL the service is asked for: unchanged for `http`; for `web` without the `/[service]`
 * prefix, as the dashboard's web proxy does, so one app works behind both.
 */
function upstreamUrl(url: string, t: ProxyTarget): string {
  if (t.kind !== 'web') return url;
  const rest = url.slice(t.prefix.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** The request headers passed on: all but hop-by-hop ones, with X-Forwarded-* from metadata. */
function forwardHeaders(
  headers: IncomingMessage['headers'],
  metadata: Metadata,
  t: ProxyTarget,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined && !HOP.has(k)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  for (const [k, v] of Object.entries(metadata)) if (k.startsWith('x-forwarded-')) out[k] = v;
  out['x-forwarded-proto'] ??= 'http';
  if (headers.host) out['x-forwarded-host'] ??= headers.host;
  if (t.kind === 'web') out[BASE_PATH] = t.prefix;
  return out;
}

/** Creates the reverse proxy over the gateway's selector. */
export function createHttpProxy(deps: HandlerDeps): HttpProxy {
  const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000 });
  const sockets = new Set<Socket | Duplex>();

  /** Tries nodes in turn while they cannot be reached. */
  const withNode = async <T>(t: ProxyTarget, attempt: (node: Node) => Promise<T>): Promise<T> => {
    let last: unknown;
    for (let i = 0; i <= deps.retries; i++) {
      const next = await deps.selector.select(t.service, { filters: filtersFor(t.version) });
      const node = next();
      try {
        const out = await attempt(node);
        deps.selector.mark(t.service, node);
        return out;
      } catch (err) {
        last = err;
        const code = (err as { code?: string }).code ?? '';
        if (!UNREACHABLE.has(code)) break;
        deps.selector.mark(t.service, node, err as Error);
      }
    }
    if (last instanceof MicroError) throw last;
    const e = last as { code?: string; message?: string };
    if (e.code === 'UND_ERR_HEADERS_TIMEOUT')
      throw new MicroError(
        GATEWAY_ID,
        504,
        `${t.service} did not answer in time`,
        'Gateway Timeout',
      );
    throw badGateway(
      GATEWAY_ID,
      `cannot reach ${t.service}: ${e.code ?? e.message ?? String(last)}`,
    );
  };

  return {
    async forward(req, url, body, t, metadata, res) {
      if (t.kind === 'web' && req.path === t.prefix) {
        // `/app` to `/app/`, so the app's relative links resolve under its prefix.
        res.writeHead(308, { location: `${t.prefix}/${url.slice(t.prefix.length)}` });
        return void res.end();
      }
      const answer = await withNode(t, (node) =>
        agent.request({
          origin: `http://${node.address}`,
          path: upstreamUrl(url, t),
          method: req.method,
          headers: forwardHeaders(req.headers, metadata, t),
          body: body && body.length > 0 ? body : undefined,
          headersTimeout: deps.timeout,
          bodyTimeout: deps.timeout,
        }),
      );
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers))
        if (v !== undefined && (!HOP.has(k) || k === 'content-length')) headers[k] = v;
      res.writeHead(answer.statusCode, headers);
      await pipeline(answer.body, res).catch(() => res.destroy());
    },

    async upgrade(raw, socket, head, t, metadata) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      try {
        const upstream = await withNode(
          t,
          (node) =>
            new Promise<Socket>((resolve, reject) => {
              const { host, port } = parseAddress(node.address);
              const s = connect({ host, port });
              s.once('connect', () => resolve(s));
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
        const lines = [
          `${raw.method ?? 'GET'} ${upstreamUrl(raw.url ?? '/', t)} HTTP/1.1`,
          `host: ${raw.headers.host ?? ''}`,
        ];
        for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
        lines.push('connection: Upgrade', `upgrade: ${raw.headers.upgrade ?? 'websocket'}`);
        upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (head.length > 0) upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      } catch (err) {
        refuseUpgrade(socket, asError(err));
      }
    },

    async close() {
      for (const s of sockets) s.destroy();
      sockets.clear();
      await agent.destroy();
    },
  };
}
