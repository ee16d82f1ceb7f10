// The gateway's side of auth (GatewayOptions.auth): the OAuth routes, the caller of each request
// (before its body is read), and the rules applied once the request is resolved to a target. The
// caller's token goes on to the service as `authorization` metadata, as it came.
//
// Tokens: `Authorization: Bearer`; on WebSocket upgrades also the `access_token` query parameter
// (taken out of the query, so it never becomes a stream's request). Open without a token: `GET /`
// (liveness), CORS preflights and the OAuth routes; the OpenAPI documents and `/metrics` take any
// account; everything else the rules (resources.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Caller } from '../../runtime/server/guard.ts';
import type { Metadata } from '../../runtime/metadata.ts';
import { readBody } from '../http-io.ts';
import { GATEWAY_ID, type GatewayRequest, type Target } from '../proxy.ts';
import { authorize, callerOf, needsToken, tokenOf, type EdgeAuth } from './edge.ts';
import { OAUTH_LIMITS, invalidRequest } from './oauth-input.ts';
import { createOAuthRoutes, isOAuthPath } from './oauth.ts';
import { gatewayNeed } from './resources.ts';

/** A request's caller as the gateway established it. */
export interface GatewayCaller {
  /** Undefined: no token given. */
  caller: Caller | undefined;
  /** The token, to forward as `authorization`. */
  token: string | undefined;
}

/** Auth as the gateway applies it. */
export interface GatewayAuth {
  /** Answers an OAuth route; false when the request is not one. */
  oauth(raw: IncomingMessage, res: ServerResponse, req: GatewayRequest): Promise<boolean>;
  /** Verifies the request's token (a 401 for a bad one); `upgrade` also reads `access_token`. */
  caller(req: GatewayRequest, upgrade?: boolean): GatewayCaller | Promise<GatewayCaller>;
  /** Refuses the request (401/403) unless the rules allow it; puts the token in the metadata. */
  check(req: GatewayRequest, target: Target, who: GatewayCaller, metadata: Metadata): void;
}

/** The `http(s)://host` a client reached the gateway at. */
const baseOf = (raw: IncomingMessage): string =>
  `${(raw.socket as TLSSocket).encrypted ? 'https' : 'http'}://${raw.headers.host ?? ''}`;

/** Creates the gateway's auth over an edge's verifier and Auth. */
export function createGatewayAuth(edge: EdgeAuth): GatewayAuth {
  const routes = createOAuthRoutes(edge, GATEWAY_ID);
  const { verifier } = edge;
  return {
    async oauth(raw, res, req) {
      if (!isOAuthPath(req.path)) return false;
      if (Number(req.headers['content-length']) > OAUTH_LIMITS.body)
        throw invalidRequest(GATEWAY_ID, `the body is over ${OAUTH_LIMITS.body} bytes`);
      const body = await readBody(raw, res, OAUTH_LIMITS.body);
      const a = await routes({ ...req, body, base: baseOf(raw) });
      res.writeHead(a.status, {
        ...a.headers,
        'content-length': String(Buffer.byteLength(a.body)),
      });
      res.end(a.body);
      return true;
    },
    caller(req, upgrade = false) {
      let query: string | string[] | undefined;
      if (upgrade && req.query.access_token !== undefined) {
        query = req.query.access_token;
        const { access_token: _, ...rest } = req.query;
        req.query = rest;
      }
      const token = tokenOf(GATEWAY_ID, req.headers, { query });
      const c = callerOf(verifier, token);
      return c instanceof Promise ? c.then((caller) => ({ caller, token })) : { caller: c, token };
    },
    check(req, target, who, metadata) {
      const need = gatewayNeed(req, target);
      if (need === 'open') return;
      if (need === 'account') {
        if (!who.caller) throw needsToken(GATEWAY_ID, req.path.slice(0, 100));
      } else authorize(verifier, who.caller, need);
      if (who.token !== undefined) metadata.authorization = `Bearer ${who.token}`;
    },
  };
}
