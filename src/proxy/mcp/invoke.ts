// One tool call as an RPC call or stream through the runtime's Client, and its answer as an MCP
// tool result. Unary calls are retried only on a node that could not take them (as the gateway
// does), so a request runs at most once wherever it was delivered. Streams are collected within
// bounds: at most maxMessages messages and maxResultBytes bytes of JSON, until the timeout; past
// any of them the stream is closed and the result says `truncated: true`. Each message of a server
// or bidi stream is also handed to `progress`. Errors, the service's or ours, are tool errors whose
// content is the `{id, code, detail, status}` JSON (never a stack). Arguments nested deeper than
// MAX_ARGS_DEPTH are the caller's 400, before anything is sent. An abort closes a stream at
// once; a unary call is left to its deadline, its answer dropped.
import type { Client, ClientStream } from '../../runtime/client/client.ts';
import { MicroError, badGateway, badRequest, toMicroError } from '../../runtime/errors.ts';
import type { Metadata } from '../../runtime/metadata.ts';
import { conform } from './conform.ts';
import { callWithRetries } from '../call.ts';
import type { CallOptions, McpTool, ToolResult } from './mcp.ts';
import { checkDepth, messagesOf, requestOf } from './args.ts';
import { outputMismatch } from './output.ts';

/** The id of the errors the MCP layer raises itself. */
export const MCP_ID = 'micro.mcp';

/** What one invocation is given besides the tool and its arguments. */
export interface InvokeOptions extends CallOptions {
  /** Metadata sent with the call (the caller's `authorization`). */
  metadata?: Metadata;
  /** Ms the call may take; a stream ends then with what it got. */
  timeout: number;
  /** Messages a stream's result keeps at most (and a client stream may be sent). */
  maxMessages: number;
  /** Bytes of a result's JSON at most. */
  maxResultBytes: number;
  /** Further attempts on another node when one cannot be reached (default 2). */
  retries?: number;
}

/** Characters of an error's detail a tool error keeps. */
export const MAX_DETAIL = 4096;

/** A tool error's shape, as its text content holds it. */
export interface ToolError {
  id: string;
  code: number;
  detail: string;
  status: string;
}

/**
 * A tool error: the error's JSON as text, and as structured content unless the tool has an output
 * schema (clients such as the official SDK's validate any structured content of such a tool
 * against it, an error's included, and would turn the error into a protocol failure).
 */
export function errorResult(err: unknown, tool?: McpTool): ToolResult {
  const e = toMicroError(err, MCP_ID);
  const detail = e.detail.length > MAX_DETAIL ? `${e.detail.slice(0, MAX_DETAIL)}…` : e.detail;
  const shape: ToolError = { id: e.id, code: e.code, detail, status: e.status };
  return {
    content: [{ type: 'text', text: JSON.stringify(shape) }],
    ...(!tool?.outputSchema && { structuredContent: { ...shape } }),
    isError: true,
  };
}

/** The error of a result errorResult made (from its text), or undefined for any other. */
export function errorOf(result: ToolResult): ToolError | undefined {
  if (!result.isError) return undefined;
  try {
    const shape = JSON.parse(result.content[0]?.text ?? '') as Partial<ToolError>;
    return {
      id: String(shape.id),
      code: Number(shape.code) || 500,
      detail: String(shape.detail),
      status: String(shape.status),
    };
  } catch {
    return undefined;
  }
}

/** The 499 of a call whose caller went away. */
const cancelled = (): MicroError =>
  new MicroError(MCP_ID, 499, 'the tool call was cancelled', 'Client Closed Request');

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An answer that came as bytes (a pass-through codec) as the JSON value it holds. */
function decoded(body: unknown): unknown {
  if (!(body instanceof Uint8Array)) return body;
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The answer as a tool result; a 502 when it is not JSON, is over the byte limit, or is not what
 * the tool's output schema describes.
 */
async function answerResult(tool: McpTool, answer: unknown, maxBytes: number): Promise<ToolResult> {
  let text: string;
  try {
    text = JSON.stringify(answer ?? null);
  } catch {
    return errorResult(
      badGateway(MCP_ID, `${tool.name} answered something JSON cannot hold`),
      tool,
    );
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes)
    return errorResult(
      badGateway(
        MCP_ID,
        `${tool.name} answered ${bytes} bytes; a tool result holds at most ${maxBytes}`,
      ),
      tool,
    );
  if (!tool.outputSchema) return { content: [{ type: 'text', text }] };
  // MCP clients refuse a result without the structured content its tool's schema promises.
  if (!isRecord(answer))
    return errorResult(
      badGateway(MCP_ID, `${tool.name} answered ${text.slice(0, 40)}, not an object`),
      tool,
    );
  // On a copy: undeclared fields of strict objects dropped (as a Zod parse drops them), then the
  // SDK client's own check (formats included); a mismatch is the service's 502.
  const held = conform(tool.outputSchema, JSON.parse(text) as Record<string, unknown>);
  const mismatch = 'mismatch' in held ? held.mismatch : await outputMismatch(tool, held.value);
  if (mismatch !== undefined || 'mismatch' in held)
    return errorResult(
      badGateway(
        MCP_ID,
        `${tool.name} answered what does not match its output schema: ${String(mismatch).slice(0, 300)}`,
      ),
      tool,
    );
  return {
    content: [{ type: 'text', text: JSON.stringify(held.value) }],
    structuredContent: held.value,
  };
}

/** Resolves when the signal aborts (never when none is given); the cleanup removes the listener. */
function aborted(signal: AbortSignal | undefined): [Promise<'aborted'>, () => void] {
  if (!signal) return [new Promise(() => {}), () => {}];
  let listener = (): void => {};
  const p = new Promise<'aborted'>((resolve) => {
    listener = () => resolve('aborted');
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', listener, { once: true });
  });
  return [p, () => signal.removeEventListener('abort', listener)];
}

/** Calls a tool: its arguments in, its result out; never throws. */
export async function invokeTool(
  client: Client,
  tool: McpTool,
  args: unknown,
  o: InvokeOptions,
): Promise<ToolResult> {
  if (o.signal?.aborted) return errorResult(cancelled(), tool);
  const [abort, release] = aborted(o.signal);
  try {
    const given = args ?? {};
    if (!isRecord(given)) throw badRequest(MCP_ID, `${tool.name} takes an object of arguments`);
    checkDepth(tool, given);
    if (tool.stream) return await streamTool(client, tool, given, o, abort);
    const call = callWithRetries(
      client,
      {
        service: tool.service,
        endpoint: tool.endpoint,
        request: requestOf(tool, given),
        metadata: o.metadata ?? {},
        timeout: o.timeout,
        ...(o.signal && { signal: o.signal }),
      },
      o.retries ?? 2,
    );
    call.catch(() => {}); // a call answered after an abort is dropped
    const r = await Promise.race([call, abort]);
    if (r === 'aborted') throw cancelled();
    return await answerResult(tool, decoded(r.body), o.maxResultBytes);
  } catch (err) {
    return errorResult(err, tool);
  } finally {
    release();
  }
}

/** The 408 of a stream that did not open, or a client stream that did not answer, in time. */
const noAnswer = (tool: McpTool, ms: number): MicroError =>
  new MicroError(MCP_ID, 408, `${tool.name} did not answer within ${ms} ms`, 'Request Timeout');

/** A stream tool: the request (or the messages) sent, the answers collected within the bounds. */
async function streamTool(
  client: Client,
  tool: McpTool,
  args: Record<string, unknown>,
  o: InvokeOptions,
  abort: Promise<'aborted'>,
): Promise<ToolResult> {
  const many = tool.stream === 'client' || tool.stream === 'bidi';
  const outgoing = many ? messagesOf(tool, args, o.maxMessages) : [requestOf(tool, args)];
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), o.timeout);
  });
  let stream: ClientStream | undefined;
  let settled = false; // the collection is over: a stream opened late is closed at once
  let finished = false; // the stream ended by itself: nothing to close
  try {
    // The server's deadline is a little later than ours: it is ours that ends the collection.
    const opening = client.stream(tool.service, tool.endpoint, {
      metadata: o.metadata ?? {},
      timeout: o.timeout + 1000,
    });
    opening.then(
      (s) => settled && s.close(),
      () => {},
    );
    const first = await Promise.race([opening, abort, timeUp]);
    if (first === 'aborted') throw cancelled();
    if (first === 'timeout') throw noAnswer(tool, o.timeout);
    stream = first;
    for (const m of outgoing) stream.send(m);
    stream.end();
    const it = stream[Symbol.asyncIterator]();
    const messages: unknown[] = [];
    let bytes = 0;
    let truncated = false;
    for (;;) {
      const next = it.next();
      next.catch(() => {}); // rejected once the stream is closed below
      const r = await Promise.race([next, abort, timeUp]);
      if (r === 'aborted') throw cancelled();
      if (r === 'timeout') {
        if (tool.stream === 'client') throw noAnswer(tool, o.timeout);
        truncated = true;
        break;
      }
      if (r.done) {
        finished = true;
        break;
      }
      const value = decoded(r.value);
      if (tool.stream === 'client') return await answerResult(tool, value, o.maxResultBytes);
      bytes += Buffer.byteLength(JSON.stringify(value ?? null)) + 1;
      if (messages.length >= o.maxMessages || bytes > o.maxResultBytes) {
        truncated = true;
        break;
      }
      messages.push(value);
      try {
        o.progress?.(messages.length, value);
      } catch {
        // a progress listener's failure does not end the stream
      }
    }
    if (tool.stream === 'client')
      throw badGateway(MCP_ID, `${tool.name} ended its stream without an answer`);
    return await answerResult(tool, { messages, truncated }, o.maxResultBytes + 64);
  } finally {
    settled = true;
    clearTimeout(timer);
    if (!finished) stream?.close();
  }
}
