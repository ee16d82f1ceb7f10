import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  badRequest,
  notFound,
  toMicroError,
  type Registry,
  type RegistryService,
  type Selector,
} from '../../runtime/index.ts';
import { refuseUpgrade } from '../../proxy/errors.ts';
import { createHttpProxy, type ProxyTarget } from '../../proxy/handlers/http.ts';
import { sendError, unparsedRequest } from '../../proxy/http-io.ts';
import { DEFAULTS } from '../../proxy/options.ts';
import { metadataFrom } from '../../proxy/request.ts';
import { isWebApp } from '../../proxy/target.ts';
import type { Feed } from './feed.ts';
import { RESERVED, WEB_ID } from './web.ts';

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
  close(): Promise<void>;
}

/** Splits `/chat/room?x=1` into the web target of app `chat`; undefined for the dashboard's own paths. */
function route(url: string): ProxyTarget | undefined {
  const m = /^\/([^/?#]+)/.exec(url);
  if (!m || m[1] === RESERVED) return undefined;
  const segment = m[1] as string;
  try {
    return { kind: 'web', service: decodeURIComponent(segment), prefix: `/${segment}` };
  } catch {
    throw badRequest(WEB_ID, `invalid path ${url}: bad percent-encoding`);
  }
}

/** A request that says it has a body (the proxy streams it through as it arrives). */
const hasBody = (req: IncomingMessage): boolean =>
  req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;

/**
 * Creates the web proxy: the gateway's reverse proxy with `web` targets, named by the first path
 * segment; services that are no web app get a 404 saying how to make them one.
 */
export function createWebProxy(o: ProxyOptions): WebProxy {
  // No timeout: web apps stream (server-sent events, downloads) as long as they like.
  const proxy = createHttpProxy({ selector: o.selector, retries: DEFAULTS.retries, id: WEB_ID });

  /** The web target of a request, or a 404 that says why there is none. */
  const target = async (url: string): Promise<ProxyTarget> => {
    const t = route(url);
    if (!t) throw notFound(WEB_ID, `nothing at ${url}`);
    const versions: RegistryService[] | undefined =
      o.feed.get(t.service) ?? (await o.registry.getService(t.service).catch(() => undefined));
    if (!versions)
      throw notFound(
        WEB_ID,
        `no service named ${t.service}: web apps are served at /[name]/ once registered`,
      );
    if (!isWebApp(versions))
      throw notFound(
        WEB_ID,
        `service ${t.service} is not a web app: give its service or node metadata handler=web to serve it at ${t.prefix}/`,
      );
    return t;
  };

  return {
    handles(url) {
      const first = /^\/([^/?#]+)/.exec(url)?.[1];
      return first !== undefined && first !== RESERVED;
    },

    request(req, res) {
      const url = req.url ?? '/';
      const forward = async (): Promise<void> => {
        const t = await target(url);
        const r = unparsedRequest(req);
        await proxy.forward(r, url, hasBody(req) ? req : undefined, t, metadataFrom(r, []), res);
      };
      forward().catch((err: unknown) => sendError(res, toMicroError(err, WEB_ID)));
    },

    upgrade(req, socket, head) {
      socket.on('error', () => socket.destroy());
      const url = req.url ?? '/';
      const tunnel = async (): Promise<void> => {
        const t = await target(url);
        const r = unparsedRequest(req);
        // `/chat` itself is no socket: the page is at `/chat/`.
        if (r.path === t.prefix) throw notFound(WEB_ID, `no web app at ${url}`);
        await proxy.upgrade(req, socket, head, t, metadataFrom(r, []));
      };
      tunnel().catch((err: unknown) => refuseUpgrade(socket, toMicroError(err, WEB_ID)));
    },

    close() {
      return proxy.close();
    },
  };
}
