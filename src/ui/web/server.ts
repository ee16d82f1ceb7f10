import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  MicroError,
  conflict,
  createSelector,
  notFound,
  toMicroError,
} from '../../runtime/index.ts';
import { formatAddress, parseAddress } from '../../runtime/transport/address.ts';
import type { Duplex } from 'node:stream';
import { answerClientError } from '../../proxy/client-error.ts';
import { SERVER_TIMEOUTS } from '../../proxy/timeouts.ts';
import { refuseUpgrade } from '../../proxy/errors.ts';
import { sendError } from '../../proxy/http-io.ts';
import { answerError, fail, registerApi } from './api.ts';
import { asset, assetsVersion, loadAssets } from './assets.ts';
import { registerEvents } from './events.ts';
import { createFeed } from './feed.ts';
import { PAGE_HEADERS, hostCheck } from './guard.ts';
import { CHALLENGE, overTls, registerLogin } from './login.ts';
import { createWebProxy } from './proxy.ts';
import { SESSION_COOKIE, createSessions, type Session, type Sessions } from './session.ts';
import { userClient } from './user-client.ts';
import { WEB_ID, type Web, type WebOptions } from './web.ts';

/**
 * Starts the web dashboard and web proxy. `/` is the dashboard, `/_/static/*` its files and
 * `/_/api/*` its JSON and event-stream routes; every other `/[name]/...` goes to the web app
 * registered as `name`.
 */
export async function startWeb(o: WebOptions): Promise<Web> {
  const { host, port } = parseAddress(o.address ?? '127.0.0.1:8082');
  const assets = loadAssets();
  // The page links its files under a path naming their version: a browser keeps them for good
  // (no request at all on the next visit), and a new micro's page names new ones.
  const version = assetsVersion(assets);
  for (const name of ['index.html', 'login.html']) {
    const page = assets.get(name);
    if (page)
      assets.set(
        name,
        asset(
          name,
          Buffer.from(
            page.body.toString('utf8').replaceAll('"/_/static/', `"/_/static/~${version}/`),
          ),
        ),
      );
  }
  const sessions = o.auth ? createSessions(o.auth) : undefined;
  // Calls from the pages are made as the logged-in user.
  const client = userClient(o.client, o.registry);
  const feed = createFeed({ registry: o.registry });
  // A selector made here is closed here; one passed in belongs to the caller.
  const ownSelector = o.selector === undefined;
  const selector = o.selector ?? createSelector({ registry: o.registry });
  const proxy = createWebProxy({ feed, registry: o.registry, selector });
  const allowed = hostCheck(host);
  const boundPort = (): number => {
    const bound = app.server.address();
    return bound && typeof bound === 'object' ? bound.port : port;
  };
  /**
   * The session of a request to a web app: the app gets the user's token as `authorization`, and
   * not the session cookie.
   */
  const asSession = async (req: IncomingMessage): Promise<Session> => {
    const session = await (sessions as Sessions).check(req.headers.cookie, overTls(req));
    const others = (req.headers.cookie ?? '')
      .split(';')
      .filter((c) => c.split('=', 1)[0]?.trim() !== SESSION_COOKIE)
      .join(';')
      .trim();
    if (others) req.headers.cookie = others;
    else delete req.headers.cookie;
    req.headers.authorization = `Bearer ${session.access}`;
    return session;
  };
  const misdirected = (req: IncomingMessage): MicroError =>
    new MicroError(
      WEB_ID,
      421,
      `bound to ${host}, the dashboard only answers requests for a loopback host, not ${String(req.headers.host ?? 'none').slice(0, 100)}; --web-address 0.0.0.0:${boundPort()} serves other names`,
    );

  const app = fastify({
    bodyLimit: 4 * 1024 * 1024,
    // Event streams and proxied streams never go idle: closing must not wait for them.
    forceCloseConnections: true,
    clientErrorHandler: answerClientError(WEB_ID),
    frameworkErrors: (err, req, reply) => void answerError(err, req, reply),
    // Web apps' requests bypass fastify, so their bodies stream through unparsed.
    serverFactory: (handler) =>
      // Without Host, Node's own answer is an empty 400; the Host check answers in the shape.
      createServer(
        { ...SERVER_TIMEOUTS, requireHostHeader: false },
        (req: IncomingMessage, res: ServerResponse) => {
          if (!allowed(req)) {
            const e = misdirected(req);
            const body = JSON.stringify(e);
            res.writeHead(e.code, {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            });
            return res.end(body);
          }
          if (proxy.handles(req.url ?? '/')) {
            if (!sessions) return proxy.request(req, res);
            return void asSession(req).then(
              (session) => {
                if (session.renewed) res.setHeader('set-cookie', session.renewed);
                proxy.request(req, res);
              },
              (err: unknown) => {
                res.setHeader('www-authenticate', CHALLENGE);
                sendError(res, toMicroError(err, WEB_ID));
              },
            );
          }
          handler(req, res);
        },
      ),
  });

  /**
   * Sends one of the dashboard's files, or 304 when the browser has it already. Under
   * `~VERSION/` it may be kept for good when VERSION is this one's; a page of another version
   * gets today's files, checked each time.
   */
  const sendFile = (path: string, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const versioned = /^~([\w-]{1,40})\//.exec(path);
    const name = versioned ? path.slice(versioned[0].length) : path;
    const file = assets.get(name);
    if (!file) return reply.code(404).send(notFound(WEB_ID, `no file ${name}`).toJSON());
    const keep = versioned?.[1] === version && name !== 'index.html';
    reply.headers({
      ...PAGE_HEADERS,
      etag: file.etag,
      'cache-control': keep ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  };

  app.get('/', (req, reply) => sendFile('index.html', req, reply));
  app.get('/_/login', (req, reply) =>
    sessions ? sendFile('login.html', req, reply) : reply.redirect('/'),
  );
  app.get<{ Params: { '*': string } }>('/_/static/*', (req, reply) =>
    sendFile(req.params['*'], req, reply),
  );
  const verifier = o.auth?.verifier;
  registerLogin(app, {
    sessions,
    ...(verifier && { authorize: (caller, resource) => verifier.authorize(caller, resource) }),
    fail,
  });
  const watches = registerApi(app, {
    feed,
    registry: o.registry,
    client,
    terminal: o.terminal,
    events: o.events,
    db: o.db,
    trace: o.trace,
    logs: o.logs,
    metrics: o.metrics,
    routes: o.routes,
    mcp: o.mcp,
    verifier,
    callTimeout: o.callTimeout ?? 10_000,
    healthTimeout: o.healthTimeout ?? 2000,
  });
  const streams = registerEvents(app, feed);
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(notFound(WEB_ID, `nothing at ${req.method} ${req.url}`).toJSON()),
  );

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!allowed(req)) return refuseUpgrade(socket, misdirected(req));
    if (proxy.handles(req.url ?? '/')) {
      if (!sessions) return proxy.upgrade(req, socket, head);
      return void asSession(req).then(
        () => proxy.upgrade(req, socket, head),
        (err: unknown) => refuseUpgrade(socket, toMicroError(err, WEB_ID)),
      );
    }
    refuseUpgrade(
      socket,
      notFound(
        WEB_ID,
        `no WebSocket at ${String(req.url).slice(0, 200)}: web apps are served at /[name]/`,
      ),
    );
  });

  try {
    await app.listen({ host, port });
  } catch (err) {
    feed.close();
    if (ownSelector) selector.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE')
      throw conflict(
        WEB_ID,
        `cannot start the web dashboard: ${formatAddress(host, port)} is in use (choose another with --web-address)`,
      );
    throw err;
  }
  const bound = app.server.address();
  const address =
    bound && typeof bound === 'object'
      ? formatAddress(host, bound.port)
      : formatAddress(host, port);

  return {
    address,
    async close() {
      streams.close();
      watches.close();
      await proxy.close();
      feed.close();
      if (ownSelector) selector.close();
      await app.close();
    },
  };
}
