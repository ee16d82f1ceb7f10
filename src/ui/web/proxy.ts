import { Agent, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  MicroError,
  badGateway,
  badRequest,
  notFound,
  toMicroError,
  type Node,
  type Registry,
  type RegistryService,
  type Selector,
} from '../../runtime/index.ts';
import { refuseUpgrade } from '../../proxy/errors.ts';
import { parseAddress } from '../../runtime/transport/address.ts';
import type { Feed } from './feed.ts';
import { BASE_PATH_HEADER, RESERVED, WEB_HANDLER, WEB_ID } from './web.ts';

/** Options of the web proxy. */
export interface ProxyOptions {
  feed: Feed;
  registry: Registry;
  selector: Selector;
}

/** Forwards `/[name]/...` to the web apps in the registry, WebSocket upgrades included. */
export interface WebProxy {
  /** True for the paths it serves: every first segment but the dashboard's own. */
  handles(url: string): boolean;
  /** Forwards a request and streams the answer back. */
  request(req: IncomingMessage, res: ServerResponse): void;
  /** Forwards a WebSocket (or other) upgrade, then the bytes both ways. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

/** Hop-by-hop headers (RFC 9110 7.6.1), which are not passed on. */
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** True when a service version or a node says it is a web app. */
const isWeb = (m: Record<string, string> | undefined): boolean => m?.handler === WEB_HANDLER;

/** True when some version of the service is a web app. */
export function isWebApp(versions: RegistryService[]): boolean {
  return versions.some((s) => isWeb(s.metadata) || s.nodes.some((n) => isWeb(n.metadata)));
}

/** Keeps the nodes that serve the web app: all of a web version, or those marked themselves. */
const webNodes = (services: RegistryService[]): RegistryService[] =>
  services.map((s) =>
    isWeb(s.metadata) ? s : { ...s, nodes: s.nodes.filter((n) => isWeb(n.metadata)) },
  );

/** The app's name, the path to forward, and the prefix that was stripped. */
interface Route {
  name: string;
  base: string;
  path: string;
}

/** Splits `/chat/room?x=1` into the app `chat` and the path `/room?x=1`. */
function route(url: string): Route | undefined {
  const m = /^\/([^/?#]+)(.*)$/s.exec(url);
  if (!m || m[1] === RESERVED) return undefined;
  const segment = m[1] as string;
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    throw badRequest(WEB_ID, `invalid path ${url}: bad percent-encoding`);
  }
  return { name, base: `/${segment}`, path: m[2] ?? '' };
}

function sendError(res: ServerResponse, err: unknown): void {
  const e = toMicroError(err, WEB_ID);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(e);
  res.writeHead(e.code >= 400 && e.code <= 599 ? e.code : 502, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The request's headers to pass on, with the base path and X-Forwarded-* set. */
function forwardHeaders(req: IncomingMessage, base: string): Record<string, string | string[]> {
  const drop = new Set(HOP);
  for (const token of String(req.headers.connection ?? '').split(','))
    drop.add(token.trim().toLowerCase());
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined && !drop.has(k) && k !== BASE_PATH_HEADER) out[k] = v;
  out[BASE_PATH_HEADER] = base;
  const from = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${String(prior)}, ${from}` : from;
  out['x-forwarded-host'] = req.headers.host ?? '';
  out['x-forwarded-proto'] = 'http';
  return out;
}

/** Creates the web proxy; nodes are chosen by the selector, and failed ones avoided for a while. */
export function createWebProxy(o: ProxyOptions): WebProxy {
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Duplex>();

  /** Finds a node of the web app named by the route, or throws a 404 that says why not. */
  const pick = async (r: Route): Promise<Node> => {
    const versions =
      o.feed.get(r.name) ?? (await o.registry.getService(r.name).catch(() => undefined));
    if (!versions)
      throw notFound(
        WEB_ID,
        `no service named ${r.name}: web apps are served at /[name]/ once registered`,
      );
    if (!isWebApp(versions))
      throw notFound(
        WEB_ID,
        `service ${r.name} is not a web app: give its service or node metadata handler=web to serve it at /${r.name}/`,
      );
    const next = await o.selector.select(r.name, { filters: [webNodes] });
    return next();
  };

  const failed = (name: string, node: Node, err: Error): MicroError => {
    o.selector.mark(name, node, err);
    const code = (err as { code?: string }).code ?? err.message;
    return badGateway(WEB_ID, `cannot reach ${name} at ${node.address}: ${code}`);
  };

  const forward = async (req: IncomingMessage, res: ServerResponse, r: Route): Promise<void> => {
    const node = await pick(r);
    const up = request({
      ...parseAddress(node.address),
      agent,
      method: req.method,
      path: r.path,
      headers: forwardHeaders(req, r.base),
    });
    up.on('response', (answer) => {
      o.selector.mark(r.name, node);
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers))
        if (v !== undefined && !HOP.has(k)) headers[k] = v;
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    up.on('error', (err) => sendError(res, failed(r.name, node, err)));
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  };

  const tunnel = async (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    r: Route,
  ): Promise<void> => {
    const node = await pick(r);
    const upstream = await new Promise<Socket>((resolve, reject) => {
      const s = connect(parseAddress(node.address));
      s.once('connect', () => resolve(s));
      s.once('error', (err) => reject(failed(r.name, node, err)));
    });
    o.selector.mark(r.name, node);
    sockets.add(upstream);
    upstream.on('error', () => upstream.destroy());
    upstream.on('close', () => {
      sockets.delete(upstream);
      socket.destroy();
    });
    socket.on('close', () => upstream.destroy());
    const lines = [`${req.method ?? 'GET'} ${r.path} HTTP/1.1`];
    const headers = forwardHeaders(req, r.base);
    headers.connection = 'Upgrade';
    headers.upgrade = req.headers.upgrade ?? 'websocket';
    for (const [k, v] of Object.entries(headers))
      for (const value of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${value}`);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  };

  return {
    handles(url) {
      const first = /^\/([^/?#]+)/.exec(url)?.[1];
      return first !== undefined && first !== RESERVED;
    },

    request(req, res) {
      let r: Route | undefined;
      try {
        r = route(req.url ?? '/');
      } catch (err) {
        return sendError(res, err);
      }
      if (!r) return sendError(res, notFound(WEB_ID, `nothing at ${req.url}`));
      // `/chat` becomes `/chat/`, so that the app's relative links resolve under its prefix.
      if (r.path === '' || r.path.startsWith('?')) {
        res.writeHead(308, { location: `${r.base}/${r.path}` });
        res.end();
        return;
      }
      forward(req, res, r).catch((err: unknown) => sendError(res, err));
    },

    upgrade(req, socket, head) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      let r: Route | undefined;
      try {
        r = route(req.url ?? '/');
      } catch (err) {
        return refuseUpgrade(socket, toMicroError(err, WEB_ID));
      }
      if (!r || r.path === '' || r.path.startsWith('?'))
        return refuseUpgrade(socket, notFound(WEB_ID, `no web app at ${req.url}`));
      tunnel(req, socket, head, r).catch((err: unknown) =>
        refuseUpgrade(socket, toMicroError(err, WEB_ID)),
      );
    },

    close() {
      for (const s of sockets) s.destroy();
      sockets.clear();
      agent.destroy();
    },
  };
}
