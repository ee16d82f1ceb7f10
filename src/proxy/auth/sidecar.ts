// The sidecar's side of auth (SidecarOptions.auth): the OAuth routes, the caller of each request
// (before its body is read: a bad token is a 401 at once), and the rules applied once the body is
// parsed, since a Dapr lock or a `/rpc` call names its resource in the body (resources.ts).
//
// Tokens: `Authorization: Bearer`, and Dapr's `dapr-api-token` header (what the Dapr SDKs send when
// DAPR_API_TOKEN is set) on `/v1.0*` paths; the broker WebSocket also takes `access_token` in the
// query. Open: `/health`, `/v1.0/healthz` (liveness, as Dapr keeps them) and the OAuth routes. On
// Dapr paths a refusal also carries Dapr's errorCode: ERR_UNAUTHORIZED (401), ERR_PERMISSION_DENIED
// (403). The caller's token goes on to services as `authorization`; the platform calls behind the
// Dapr state, configuration and lock paths are made as the sidecar's own account, after these checks.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Resource } from '../../platform/auth/auth.ts';
import { MicroError, toMicroError } from '../../runtime/errors.ts';
import type { Caller } from '../../runtime/server/guard.ts';
import type { SocketGrant } from '../sidecar/broker-socket.ts';
import { DaprError } from '../sidecar/dapr/errors.ts';
import { SIDECAR_ID as ID } from '../sidecar/guard.ts';
import { authorize, callerOf, needsToken, refusalHeaders, tokenOf, type EdgeAuth } from './edge.ts';
import { OAUTH_LIMITS } from './oauth-input.ts';
import { OAUTH_PATHS, createOAuthRoutes } from './oauth.ts';
import { openSidecarRoute, sidecarNeed } from './resources.ts';

/** Who made a request, as the sidecar established it. */
interface Who {
  caller: Caller | undefined;
  token: string | undefined;
}

/** Auth as the sidecar applies it. */
export interface SidecarAuth {
  /** The metadata that carries a request's token on to a service (empty without one). */
  metadata(req: FastifyRequest): Record<string, string>;
  /**
   * The caller of a broker WebSocket upgrade, refused (401/403) unless it may subscribe to the
   * topic; then `publish` says whether it may publish to it (checked per frame, as rules change).
   */
  socket(req: IncomingMessage, topic: string): Promise<SocketGrant>;
}

const isDapr = (url: string): boolean => url.startsWith('/v1.0');

/** The metadata carrying a token on to a service. */
const carrying = (token: string | undefined): Record<string, string> =>
  token === undefined ? {} : { authorization: `Bearer ${token}` };

/** A refusal as a Dapr path answers it: the micro shape and Dapr's errorCode/message. */
function forDapr(err: unknown): unknown {
  if (!(err instanceof MicroError) || err instanceof DaprError) return err;
  if (err.code === 401) return new DaprError('ERR_UNAUTHORIZED', err);
  if (err.code === 403) return new DaprError('ERR_PERMISSION_DENIED', err);
  return err;
}

/** Registers the OAuth routes and the checks on every route of `app`; `appId` owns the Dapr state. */
export function registerSidecarAuth(
  app: FastifyInstance,
  edge: EdgeAuth,
  appId: string,
): SidecarAuth {
  const { verifier } = edge;
  const who = new WeakMap<FastifyRequest, Who>();
  const refuse = (reply: FastifyReply, url: string, err: unknown): never => {
    const headers = refusalHeaders(err);
    if (headers) void reply.headers(headers);
    throw isDapr(url) ? forDapr(err) : toMicroError(err, ID);
  };

  app.addHook('onRequest', async (req, reply) => {
    // Open routes read no token: the token endpoint takes client credentials in the same header
    // (Basic), and a health check passes whatever token a Dapr SDK sends along.
    if (openSidecarRoute(req.routeOptions.url)) return;
    try {
      const token = tokenOf(ID, req.headers, { dapr: isDapr(req.url) });
      const c = callerOf(verifier, token);
      who.set(req, { caller: c instanceof Promise ? await c : c, token });
    } catch (err) {
      refuse(reply, req.url, err);
    }
  });
  app.addHook('preHandler', async (req, reply) => {
    const w = who.get(req) ?? { caller: undefined, token: undefined };
    const need = sidecarNeed(
      {
        method: req.method,
        route: req.routeOptions.url,
        params: req.params as Record<string, string>,
        query: req.query as Record<string, unknown>,
        body: req.body,
      },
      appId,
    );
    try {
      if (need === 'account') {
        if (!w.caller) throw needsToken(ID, req.url.split('?')[0]?.slice(0, 100) ?? '');
      } else if (need !== 'open') authorize(verifier, w.caller, need);
    } catch (err) {
      refuse(reply, req.url, err);
    }
  });

  const routes = createOAuthRoutes(edge, ID);
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: OAUTH_LIMITS.body },
      (_req, body, done) => done(null, body),
    );
    const serve = async (req: FastifyRequest, reply: FastifyReply) => {
      const a = await routes({
        method: req.method,
        path: req.url.split('?')[0] ?? '',
        headers: req.headers,
        body: Buffer.isBuffer(req.body) ? req.body : undefined,
        base: `${req.protocol}://${req.headers.host ?? ''}`,
      });
      return reply.code(a.status).headers(a.headers).send(a.body);
    };
    for (const path of Object.values(OAUTH_PATHS)) scope.all(path, serve);
  });

  return {
    metadata(req) {
      return carrying(who.get(req)?.token);
    },
    async socket(req, topic) {
      const url = req.url ?? '/';
      const query = new URLSearchParams(url.slice(url.indexOf('?') + 1)).getAll('access_token');
      const token = tokenOf(ID, req.headers, {
        query: query.length > 1 ? query : query[0],
      });
      const c = callerOf(verifier, token);
      const caller = c instanceof Promise ? await c : c;
      const resource = (action: 'publish' | 'subscribe'): Resource => ({
        kind: 'topic',
        name: topic,
        action,
      });
      authorize(verifier, caller, [resource('subscribe')]);
      return {
        metadata: carrying(token),
        publish() {
          try {
            authorize(verifier, caller, [resource('publish')]);
            return undefined;
          } catch (err) {
            return toMicroError(err, ID);
          }
        },
      };
    },
  };
}
