// The dashboard's side of auth, when it has an `auth` option: POST /_/api/login (JSON {id,
// secret}, a bounded body, admitted only from the dashboard's own pages like every POST) sets the
// session cookie and answers who logged in, never a token; POST /_/api/logout revokes the
// session's tokens and clears the cookie; GET /_/api/session says who is logged in. Every other
// /_/api/* route needs a valid session (else a 401 in the error shape, with WWW-Authenticate, which
// the pages answer by going to the login page), runs its calls with the user's token (asUser), and
// the routes that read the registry need `registry:<name or *>:read`. An event stream ends when its
// access token expires; the browser reconnects with the renewed cookie.
//
// Without the option, GET /_/api/session answers {auth: false} and nothing else changes.
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MicroError, toMicroError } from '../../runtime/index.ts';
import type { Resource } from '../../platform/auth/auth.ts';
import type { Caller } from '../../runtime/server/guard.ts';
import { asUser } from './user-client.ts';
import type { Session, Sessions } from './session.ts';
import { WEB_ID } from './web.ts';

/** The header of every 401 of the dashboard (RFC 6750 section 3). */
export const CHALLENGE = 'Bearer realm="micro", error="invalid_token"';

/** Bytes a login request's body may have. */
export const LOGIN_BODY = 4096;

/** Routes a visitor with no session reaches. */
const OPEN = new Set(['/_/api/login', '/_/api/logout']);

/** Event streams, which end when their session's access token expires. */
const STREAMS = new Set([
  '/_/api/events',
  '/_/api/events/stream',
  '/_/api/store/watch',
  '/_/api/logs/stream',
]);

/** Who a caller is, as the pages show it. */
const whoami = (c: Caller) => ({ auth: true, id: c.id, type: c.type, roles: c.roles });

/** True when the request came over TLS, so that the cookie is marked Secure. */
export const overTls = (req: { socket: unknown }): boolean =>
  (req.socket as Partial<TLSSocket>).encrypted === true;

/** The registry resource a route reads, if it reads the registry. */
function registryRead(path: string, query: Record<string, unknown>): Resource | undefined {
  const named = (v: unknown) => (typeof v === 'string' && v ? v : '*');
  switch (path) {
    case '/_/api/service':
      return { kind: 'registry', name: named(query.name), action: 'read' };
    case '/_/api/health':
      return { kind: 'registry', name: named(query.service), action: 'read' };
    case '/_/api/services':
    case '/_/api/topics':
    case '/_/api/events':
      return { kind: 'registry', name: '*', action: 'read' };
    default:
      return undefined;
  }
}

/** Adds the session routes and hooks; fail answers an error as the other routes do. */
export function registerLogin(
  app: FastifyInstance,
  o: {
    sessions: Sessions | undefined;
    authorize?: (caller: Caller, resource: Resource) => void;
    fail: (reply: FastifyReply, err: unknown) => FastifyReply;
  },
): void {
  const { sessions } = o;
  if (!sessions) {
    app.get('/_/api/session', () => ({ auth: false }));
    return;
  }
  const held = new WeakMap<FastifyRequest, Session>();
  const refuse = (reply: FastifyReply, err: unknown): FastifyReply => {
    const e = toMicroError(err, WEB_ID);
    if (e.code === 401) reply.header('www-authenticate', CHALLENGE);
    return o.fail(reply, e);
  };

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?', 1)[0] ?? '';
    if (!path.startsWith('/_/api/') || OPEN.has(path)) return;
    try {
      const session = await sessions.check(req.headers.cookie, overTls(req.raw));
      // On the raw response: event streams write their head themselves.
      if (session.renewed) reply.raw.setHeader('set-cookie', session.renewed);
      const resource = registryRead(path, req.query as Record<string, unknown>);
      if (resource) o.authorize?.(session.caller, resource);
      held.set(req, session);
      if (STREAMS.has(path)) {
        const res = reply.raw;
        const end = setTimeout(() => res.end(), Math.max(0, session.expires - Date.now()));
        end.unref();
        res.on('close', () => clearTimeout(end));
      }
    } catch (err) {
      return refuse(reply, err);
    }
  });

  // The handler runs in the user's context: its calls carry the user's token.
  app.addHook('preHandler', (req, _reply, done) => {
    const session = held.get(req);
    if (session) asUser(session.access, done);
    else done();
  });

  app.get('/_/api/session', (req, reply) => {
    const session = held.get(req);
    return session
      ? whoami(session.caller)
      : refuse(reply, new MicroError(WEB_ID, 401, 'no session'));
  });

  app.post<{ Body: { id?: unknown; secret?: unknown } | null }>(
    '/_/api/login',
    { bodyLimit: LOGIN_BODY },
    async (req, reply) => {
      try {
        const body = req.body ?? {};
        const { caller, cookie } = await sessions.login(body.id, body.secret, overTls(req.raw));
        reply.header('set-cookie', cookie);
        return whoami(caller);
      } catch (err) {
        return refuse(reply, err);
      }
    },
  );

  app.post('/_/api/logout', async (req, reply) => {
    reply.header('set-cookie', await sessions.logout(req.headers.cookie, overTls(req.raw)));
    return { auth: true };
  });
}
