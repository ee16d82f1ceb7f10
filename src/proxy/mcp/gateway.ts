// MCP at the API gateway's `/mcp` (POST, GET, DELETE): the core over the gateway's own registry
// and client, and Streamable HTTP sessions (http.ts). The gateway has already applied its Host,
// CORS, rate and token checks, read the body within its limit, and (auth on) refused a request
// without an account; the rules for each tool apply inside the core.
//
// On unless `MICRO_MCP=off` or the gateway's `mcp: false`; the core, the resources and the audit
// come from the environment (mcpFromEnv: MICRO_MCP_*, MICRO_AUDIT). The caller of a
// session is the account the gateway verified; with auth off, the request's bearer token (if any)
// is forwarded to the services, as the gateway forwards `authorization` on its other routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Audit } from '../../platform/audit/audit.ts';
import type { Registry } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import type { EdgeVerifier } from '../auth/edge.ts';
import type { GatewayCaller } from '../auth/gateway.ts';
import type { GatewayRequest } from '../proxy.ts';
import { auditFromEnv } from '../../platform/audit/index.ts';
import { createMcpHttp, sendJsonRpcError } from './http.ts';
import { jsonClient } from './json-client.ts';
import { asEdge } from './token-client.ts';
import { mcpFromEnv, type McpStack } from './index.ts';
import type { McpHttp } from './mcp.ts';
import { mcpEnabled, mcpOptionsFromEnv } from './options.ts';

/** The gateway's `/mcp`. */
export interface GatewayMcp {
  /** Answers one `/mcp` request; `body` as the gateway read it, `who` as its auth verified it. */
  serve(
    raw: IncomingMessage,
    res: ServerResponse,
    body: Buffer | undefined,
    req: GatewayRequest,
    who: GatewayCaller | undefined,
  ): Promise<void>;
  /** Ends the sessions and stops the core's watch. */
  close(): Promise<void>;
}

/** What the gateway gives its `/mcp`. */
export interface GatewayMcpDeps {
  registry: Registry;
  client: Client;
  /** micro's version, as the serverInfo says. */
  version: string;
  /** Given when auth is on. */
  verifier?: EdgeVerifier;
  /** The gateway's CORS origins: a page there may use `/mcp` too. */
  allowedOrigins?: string[];
  /** An audit of one's own (tests); default the one MICRO_AUDIT names (mcpFromEnv). */
  audit?: Audit;
  /** The gateway's own token (auth on): its audit reports carry it, as the audit service asks. */
  token?: () => string | Promise<string>;
  logger?: { warn(message: string): void };
}

/** The bearer token of an Authorization header, if it has one. */
const bearer = (h: string | undefined): string | undefined =>
  h === undefined ? undefined : /^Bearer[ \t]+(\S{1,8192})[ \t]*$/i.exec(h)?.[1];

/** The gateway's `/mcp`, or undefined when MCP is off (`mcp: false`, or MICRO_MCP=off). */
export function gatewayMcp(
  enabled: boolean | undefined,
  deps: GatewayMcpDeps,
  env: NodeJS.ProcessEnv = process.env,
): GatewayMcp | undefined {
  if (enabled === false || (enabled === undefined && !mcpEnabled(env))) return undefined;
  mcpOptionsFromEnv(env); // a bad MICRO_MCP_* stops the gateway before it starts
  // Made on the first `/mcp` request: a gateway no agent uses keeps no second watch of the registry.
  let made: { stack: McpStack; http: McpHttp } | undefined;
  const make = (): { stack: McpStack; http: McpHttp } => {
    // Reports go out as the gateway (`api`, its own token with auth on), not as any one caller.
    const audit =
      deps.audit ??
      auditFromEnv(env, {
        client: asEdge(jsonClient(deps.client), {
          from: 'api',
          ...(deps.token && { token: deps.token }),
        }),
        ...(deps.logger && { logger: deps.logger }),
      });
    const stack = mcpFromEnv({
      registry: deps.registry,
      client: deps.client,
      version: deps.version || '0.0.0',
      env,
      ...(deps.verifier && { verifier: deps.verifier }),
      audit,
      ...(deps.logger && { logger: deps.logger }),
    });
    const http = createMcpHttp(
      stack,
      deps.allowedOrigins ? { allowedOrigins: deps.allowedOrigins } : {},
    );
    return { stack, http };
  };
  return {
    async serve(raw, res, body, req, who) {
      let parsed: unknown;
      if (body !== undefined && req.method === 'POST') {
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          return sendJsonRpcError(res, 400, -32700, 'Parse error: the body is not JSON');
        }
      }
      const header = req.headers.authorization;
      const token = who ? who.token : bearer(header);
      made ??= make();
      await made.http.handle(raw, res, parsed, { caller: who?.caller, token, ip: req.ip });
    },
    async close() {
      const m = made;
      made = undefined;
      await m?.http.close();
      await m?.stack.close();
    },
  };
}
