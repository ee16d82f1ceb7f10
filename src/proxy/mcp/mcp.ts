// Services as tools for AI agents (issue 21): the shapes every part of `micro mcp` shares.
//
// The parts, one file each, importing one way (mcp.ts <- tools/invoke/resources <- core <- server
// <- stdio/http <- the gateway and `micro mcp`):
// - tools.ts: the registry's endpoints as tools (names, schemas, descriptions, what is exposed);
// - invoke.ts: one tool call as an RPC call or stream, its answer as a tool result;
// - core.ts: createMcpCore, the catalog of tools kept current by the registry's watch, with the
//   controls (exposure, the auth rules, a rate limit per client, the audit of every call);
// - resources.ts: services and their schemas, traces, logs and config paths as read-only resources;
// - server.ts: one MCP session (the SDK's Server) over a core and resources;
// - stdio.ts and http.ts: the transports (stdio; Streamable HTTP, sessions, Origin/Host checks).
//
// Protocol: the Model Context Protocol, as the official TypeScript SDK speaks it
// (@modelcontextprotocol/sdk, pinned); every version the SDK negotiates.
import type { Schema } from '../../registry/registry.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Audit } from '../../platform/audit/audit.ts';
import type { Registry } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import type { Caller } from '../../runtime/server/guard.ts';
import type { EdgeVerifier } from '../auth/edge.ts';
import type { Catalog } from '../catalog.ts';

/** A JSON Schema whose `type` is `object`, as MCP requires of a tool's input and output schemas. */
export type ObjectSchema = Schema & { type: 'object' };

/** How tools are named: `greeter.Say.Hello` (default), or `greeter_Say_Hello` for clients that allow only `[A-Za-z0-9_-]{1,64}`. */
export type ToolNames = 'dotted' | 'safe';

/** One callable endpoint of a service, as an agent sees it. */
export interface McpTool {
  /** The tool's name, unique in the list: `greeter.Say.Hello`, or its safe form. */
  name: string;
  /** The service called. */
  service: string;
  /** The endpoint called (`Say.Hello`). */
  endpoint: string;
  /** A human title (`greeter: Say.Hello`). */
  title: string;
  /** From the endpoint's `description` metadata, else its request schema's description, else a line naming it. */
  description: string;
  /** The request schema (wrapped as `{messages: [...]}` for client and bidi streams); `{type: 'object'}` when none. */
  inputSchema: ObjectSchema;
  /** The response schema, when it is an object schema (MCP allows no other); for streams, `{messages: [...]}`. */
  outputSchema?: ObjectSchema;
  /** Set for stream endpoints. */
  stream?: 'server' | 'client' | 'bidi';
  /** The auth rule's resource a call needs: `service:greeter:Say.Hello`. */
  scope: string;
  /** MCP tool annotations: `idempotentHint` from the endpoint's `idempotent` metadata. */
  annotations?: { idempotentHint?: boolean; readOnlyHint?: boolean };
}

/** Who is calling: one MCP session. */
export interface McpCaller {
  /** The session: the Mcp-Session-Id over HTTP, `stdio` over stdio. */
  session: string;
  /** `stdio` or `http`. */
  transport: 'stdio' | 'http';
  /** The client's `name/version` from its initialize request (`unknown` before it). */
  client: string;
  /** The verified account, when auth is on and a token was given. */
  caller?: Caller;
  /** The token, forwarded to the services as `authorization`. */
  token?: string;
  /** The peer's address (HTTP). */
  ip?: string;
}

/** A tool's answer, as MCP's CallToolResult. */
export interface ToolResult {
  /** The answer as JSON text (one item), or the error JSON on a tool error. */
  content: { type: 'text'; text: string }[];
  /** The answer as an object when the tool has an output schema; on a tool error, the error when it has none. */
  structuredContent?: Record<string, unknown>;
  /** True on a tool error: the service's `{id, code, detail, status}` is the content. */
  isError?: boolean;
}

/** What a call may be given besides its arguments. */
export interface CallOptions {
  /** Aborted when the client cancels the request or the session ends. */
  signal?: AbortSignal;
  /** Called for each message of a stream, counted from 1 (MCP progress notifications). */
  progress?: (count: number, message: unknown) => void;
}

/** Which tools are exposed, and the bounds of a call. */
export interface McpOptions {
  /** Tool-name patterns (`*` any run of characters): given, only matching tools are exposed (this can bring back the hidden ones). */
  allow?: string[];
  /** Tool-name patterns never exposed, whatever allows them. */
  deny?: string[];
  /** How tools are named (default `dotted`). */
  names?: ToolNames;
  /** Tool calls a second per client (default 20; 0: no limit). */
  rate?: number;
  /** Calls a client may make at once above the rate (default 2x the rate). */
  burst?: number;
  /** Ms a tool call may take (default 30 s; streams end then with what they got). */
  timeout?: number;
  /** Messages a stream's result keeps at most (default 1000). */
  maxMessages?: number;
  /** Bytes of a result at most (default 1 MiB): past them the result says it was cut. */
  maxResultBytes?: number;
}

/** The defaults of McpOptions. */
export const MCP_DEFAULTS = {
  names: 'dotted',
  rate: 20,
  timeout: 30_000,
  maxMessages: 1000,
  maxResultBytes: 1 << 20,
} as const;

/**
 * Hidden unless `allow` names them: every service's `Debug.*` endpoints, and the platform's own
 * services (the control plane's registry, runtime, store, config... and their admin endpoints).
 */
export const HIDDEN_BY_DEFAULT: readonly string[] = ['*.Debug.*'];

/** What createMcpCore (core.ts) is given. */
export interface McpCoreOptions extends McpOptions {
  /** The registry whose services become tools; watched. */
  registry: Registry;
  /** A catalog of that registry to share (the resources' too); the core then makes no watch of its own, and close leaves it open. */
  catalog?: Catalog;
  /** The client tool calls go through (the caller's token is added as `authorization` metadata). */
  client: Client;
  /** Given when auth is on: the tools listed and called are those the rules allow the caller. */
  verifier?: EdgeVerifier;
  /**
   * Where every tool call is reported: source `mcp`, actor the account (or `anonymous`), action the
   * tool, target its scope, labels `client`, `session`, `transport` and `ip`.
   */
  audit?: Audit;
}

/** The catalog of tools and the calls, with the controls applied (core.ts). */
export interface McpCore {
  /** The tools this caller may see: exposed, and allowed by the auth rules when auth is on. */
  list(who: McpCaller): McpTool[];
  /** The exposed tool of this name (dotted or safe form), whoever asks. */
  find(name: string): McpTool | undefined;
  /**
   * Calls a tool. A tool that is not exposed is a MicroError 404 (the MCP server answers it as a
   * protocol error); anything else, the service's errors, a refusal by the rules (403) or the rate
   * limit (429) included, is a tool result with isError. Every call is audited.
   */
  call(name: string, args: unknown, who: McpCaller, options?: CallOptions): Promise<ToolResult>;
  /** Calls `listener` (at most once per 100 ms) when the tool list changed; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
  /** Resolves once the first read of the registry is done. */
  readonly ready: Promise<void>;
  /** Stops the watch; calls in flight finish. */
  close(): Promise<void>;
}

/** An MCP resource as listed. */
export interface McpResource {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType: string;
}

/** An MCP resource template as listed (RFC 6570 level 1). */
export interface McpResourceTemplate {
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType: string;
}

/** One read resource's content. */
export interface McpResourceContent {
  uri: string;
  mimeType: string;
  text: string;
}

/**
 * The read-only resources (resources.ts): `micro://services`, `micro://services/{name}`,
 * `micro://traces/{service}`, `micro://logs/{service}`, `micro://config/{namespace}` and
 * `micro://config/{namespace}/{path}`.
 */
export interface McpResources {
  /** The concrete resources (the service list and one per service). */
  list(who: McpCaller): Promise<McpResource[]>;
  /** The templates. */
  templates(): McpResourceTemplate[];
  /** Reads one; an unknown or malformed URI is a MicroError 404/400, a refusal by the rules a 403. */
  read(uri: string, who: McpCaller): Promise<McpResourceContent[]>;
  /** Calls `listener` when the list changed (services came or went); returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

/** What an MCP session serves (server.ts): the tools, and the resources when given. */
export interface McpParts {
  core: McpCore;
  resources?: McpResources;
  /** The serverInfo version (micro's). */
  version: string;
  /** Where the transports log what goes wrong (never stdout: over stdio it is the protocol). */
  logger?: { warn(message: string): void };
}

/** `micro mcp serve` over stdio (stdio.ts serveMcpStdio). */
export interface McpStdio {
  /** Resolves when the input ended (the agent went away) or close was called. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** Who an HTTP request to `/mcp` comes from, as the edge established it. */
export interface McpHttpCaller {
  caller?: Caller;
  token?: string;
  ip?: string;
}

/** Bounds of the Streamable HTTP transport. */
export interface McpHttpOptions {
  /** Sessions open at once at most (default 100); past them an initialize is a 503. */
  maxSessions?: number;
  /** Ms a session may stay idle before it is closed (default 30 min). */
  idleTimeout?: number;
  /** Origins allowed besides the server's own host (a browser's Origin otherwise is a 403). */
  allowedOrigins?: string[];
}

/**
 * Streamable HTTP at one path (http.ts createMcpHttp): POST (JSON-RPC in; JSON or SSE out), GET
 * (the session's SSE stream of notifications), DELETE (ends the session). The gateway hands it
 * `/mcp` requests after its own Host, CORS, rate and token checks; `micro mcp serve --http` runs it
 * on a server of its own.
 */
export interface McpHttp {
  /** Answers one request; `body` is the parsed JSON of a POST (read within the edge's body limit). */
  handle(
    raw: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    who: McpHttpCaller,
  ): Promise<void>;
  /** Sessions open now. */
  sessions(): number;
  /** Ends every session. */
  close(): Promise<void>;
}
