// One MCP session: the official SDK's low-level Server over a core (the tools) and, when given,
// the resources. It answers tools/list and resources/list a page at a time (cursor: the last name
// of the page before, so a page is stable while the list changes), tools/call (progress
// notifications for a stream's messages when the request asks for them; the client's cancellation
// and the session's end abort the call), resources/templates/list and resources/read, and tells
// the client when the tool or resource list changed (notifications/*/list_changed, once the
// session is initialized; the subscriptions end with the session).
//
// Errors: an unknown tool is a protocol error (-32602, as the spec asks), a tool that failed is a
// tool result with isError (core.ts); an unknown resource is -32002; every protocol error carries
// micro's `{id, code, detail, status}` as its data, never a stack.
//
// Limits: 500 tools or resources a page; a progress message is cut at 1,000 characters; the
// client's name and version are kept to 100 characters of printable text.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  EmptyResultSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { MicroError, toMicroError } from '../../runtime/errors.ts';
import { MCP_ID } from './invoke.ts';
import type { McpCaller, McpParts, McpTool, ToolResult } from './mcp.ts';

/**
 * A JSON-RPC error as the SDK sends one thrown by a handler (its code, message and data), with the
 * message as given: the SDK's McpError prefixes `MCP error <code>: `, and its clients prefix it again.
 */
class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

/** Tools (or resources) in one page of a list. */
export const PAGE_SIZE = 500;

/** The JSON-RPC error code MCP gives an unknown resource. */
export const RESOURCE_NOT_FOUND = -32002;

/** Options of createMcpServer, for tests and embedders. */
export interface McpServerOptions {
  /** Items a list page holds (default PAGE_SIZE). */
  pageSize?: number;
}

/** Text fit for a log label: printable, at most `max` characters. */
const printable = (s: unknown, max: number): string =>
  typeof s === 'string'
    ? s
        .replace(/[^\x20-\x7e\u00a0-\uffff]/g, '')
        .slice(0, max)
        .trim()
    : '';

/** The client's `name/version` as its initialize request gave them. */
function clientOf(server: Server): string | undefined {
  const info = server.getClientVersion();
  if (!info) return undefined;
  const name = printable(info.name, 60) || 'unknown';
  const version = printable(info.version, 39);
  return version ? `${name}/${version}` : name;
}

/** A page of `items` (sorted by `key`) after the cursor; an invalid cursor is -32602. */
function page<T>(
  items: T[],
  key: (item: T) => string,
  cursor: string | undefined,
  size: number,
): { items: T[]; nextCursor?: string } {
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  let start = 0;
  if (cursor !== undefined) {
    const after = Buffer.from(cursor, 'base64url').toString('utf8');
    if (cursor.length > 4096 || after === '' || Buffer.from(after).toString('base64url') !== cursor)
      throw new RpcError(ErrorCode.InvalidParams, 'Invalid cursor');
    start = sorted.findIndex((item) => key(item) > after);
    if (start < 0) start = sorted.length;
  }
  const slice = sorted.slice(start, start + size);
  const last = slice.at(-1);
  return start + size < sorted.length && last !== undefined
    ? { items: slice, nextCursor: Buffer.from(key(last)).toString('base64url') }
    : { items: slice };
}

/** A tool as MCP lists it (without micro's own fields). */
function listed(t: McpTool): Tool {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: t.inputSchema,
    ...(t.outputSchema && { outputSchema: t.outputSchema }),
    ...(t.annotations && { annotations: t.annotations }),
  };
}

/** A MicroError as the protocol error MCP asks for (404: `notFound`, else by its code). */
function protocolError(err: unknown, notFound: number, what: string): Error {
  if (err instanceof McpError || err instanceof RpcError) return err;
  const e = toMicroError(err, MCP_ID);
  const code =
    e.code === 404
      ? notFound
      : e.code === 400
        ? ErrorCode.InvalidParams
        : e.code < 500
          ? ErrorCode.InvalidRequest
          : ErrorCode.InternalError;
  const message = e.code === 404 ? what : e.detail;
  return new RpcError(code, message, e.toJSON());
}

/** A tool result for an error the core threw instead of answering (it should not). */
function toolError(err: unknown): ToolResult {
  const e = toMicroError(err, MCP_ID).toJSON();
  return {
    content: [{ type: 'text', text: JSON.stringify(e) }],
    structuredContent: { ...e },
    isError: true,
  };
}

/** A stream message as a progress notification's text, cut to 1,000 characters. */
function progressText(message: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(message) ?? 'null';
  } catch {
    text = String(message);
  }
  return text.length > 1000 ? `${text.slice(0, 999)}…` : text;
}

/**
 * One MCP session over `parts`, for the caller `who` (its `client` is filled in from the
 * initialize request). Connect it to a transport (`server.connect(transport)`); closing it ends
 * the list_changed subscriptions and aborts the calls in flight.
 */
export function createMcpServer(
  parts: McpParts,
  who: McpCaller,
  options: McpServerOptions = {},
): Server {
  const { core, resources } = parts;
  const size = options.pageSize ?? PAGE_SIZE;
  const server = new Server(
    { name: 'micro', title: 'micro services', version: parts.version },
    {
      capabilities: {
        tools: { listChanged: true },
        ...(resources && { resources: { listChanged: true } }),
      },
      instructions:
        'Every tool calls one endpoint of a micro service (named service.Handler.Method, or ' +
        'service_Handler_Method in the safe form). ' +
        'A failed call is a tool result with isError whose JSON is {id, code, detail, status}.',
    },
  );
  const warn = (m: string): void => parts.logger?.warn(`micro mcp: ${m}`);
  const caller = (): McpCaller => {
    if (who.client === 'unknown' || who.client === '') who.client = clientOf(server) ?? who.client;
    return who;
  };

  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    await core.ready;
    const p = page(core.list(caller()), (t) => t.name, request.params?.cursor, size);
    return { tools: p.items.map(listed), ...(p.nextCursor && { nextCursor: p.nextCursor }) };
  });

  server.setRequestHandler(
    CallToolRequestSchema,
    async (request, extra): Promise<CallToolResult> => {
      await core.ready;
      const { name, arguments: args } = request.params;
      const token = request.params._meta?.progressToken;
      // The notifications go out one after the other, and all of them before the result.
      let sent: Promise<void> | undefined;
      const progress =
        token === undefined
          ? undefined
          : (n: number, message: unknown): void => {
              const params = { progressToken: token, progress: n, message: progressText(message) };
              sent = (sent ?? Promise.resolve())
                .then(() => extra.sendNotification({ method: 'notifications/progress', params }))
                .catch((err: unknown) => warn(`progress not sent: ${String(err)}`));
            };
      try {
        const result = await core.call(name, args ?? {}, caller(), {
          signal: extra.signal,
          ...(progress && { progress }),
        });
        // SDK clients drop progress that arrives with the result (typescript-sdk#2580): once the
        // client has answered a ping, it has handled every notification sent before it.
        if (sent)
          await sent.then(() =>
            extra
              .sendRequest({ method: 'ping' }, EmptyResultSchema, { timeout: 5000 })
              .catch(() => {}),
          );
        return { ...result };
      } catch (err) {
        if (err instanceof MicroError && err.code === 404)
          throw protocolError(err, ErrorCode.InvalidParams, `Unknown tool: ${name.slice(0, 200)}`);
        return { ...toolError(err) };
      }
    },
  );

  if (resources) {
    server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
      try {
        const all = await resources.list(caller());
        const p = page(all, (r) => r.uri, request.params?.cursor, size);
        return { resources: p.items, ...(p.nextCursor && { nextCursor: p.nextCursor }) };
      } catch (err) {
        throw protocolError(err, ErrorCode.InvalidParams, 'Not found');
      }
    });
    server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
      resourceTemplates: resources.templates(),
    }));
    server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
      const { uri } = request.params;
      try {
        return { contents: await resources.read(uri, caller()) };
      } catch (err) {
        throw protocolError(err, RESOURCE_NOT_FOUND, 'Resource not found');
      }
    });
  }

  // The list_changed notifications, once the client is initialized, until the session ends.
  let initialized = false;
  const tell = (send: () => Promise<void>) => (): void => {
    if (initialized) send().catch((err: unknown) => warn(`notification not sent: ${String(err)}`));
  };
  const offs = [core.onChange(tell(() => server.sendToolListChanged()))];
  if (resources) offs.push(resources.onChange(tell(() => server.sendResourceListChanged())));
  server.oninitialized = () => {
    initialized = true;
    caller();
  };
  server.onclose = () => {
    initialized = false;
    for (const off of offs.splice(0)) off();
  };
  server.onerror = (err) =>
    warn(
      err.name === 'ZodError'
        ? 'a message that is not JSON-RPC 2.0 was skipped'
        : err instanceof SyntaxError
          ? `a line that is not JSON was skipped (${printable(err.message, 200)})`
          : printable(err.message, 300),
    );
  return server;
}
