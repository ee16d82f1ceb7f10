// `micro mcp serve` over stdio: one MCP session whose messages are newline-delimited JSON-RPC on
// the input and the output (the SDK's StdioServerTransport).
//
// Guarantees: nothing but protocol messages goes to the output; while the process's own stdout is
// the output, console.log/info/debug are sent to stderr, so a stray log line cannot break the
// protocol. No more than one line (at most 4 MiB) is held: a longer one ends the input there, with
// a message on stderr, and is never parsed; a line that is not JSON-RPC is reported on stderr and
// skipped. When the input ends (the agent went away, or that long line), the calls in flight get
// up to 30 s to answer, then the session closes.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Caller } from '../../runtime/server/guard.ts';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { McpCaller, McpParts, McpStdio } from './mcp.ts';
import { createMcpServer } from './server.ts';

/** The longest line read (bytes): past it the session ends. */
export const MAX_LINE = 4 << 20;

/** Ms the calls in flight get to answer once the input ended. */
export const DRAIN_MS = 30_000;

/** Where serveMcpStdio reads and writes (default the process's stdin and stdout). */
export interface McpStdioOptions {
  input?: Readable;
  output?: Writable;
  /** Longest line in bytes (default MAX_LINE). */
  maxLine?: number;
  /** The account the session acts as (the CLI's login), as the audit names it; default anonymous. */
  caller?: Caller;
}

const isRequest = (m: JSONRPCMessage): boolean => 'method' in m && 'id' in m;
const isResponse = (m: JSONRPCMessage): boolean => 'id' in m && ('result' in m || 'error' in m);

/** Sends console.log/info/debug to stderr until the returned function is called. */
function consoleToStderr(): () => void {
  const saved = { log: console.log, info: console.info, debug: console.debug };
  console.log = console.info = console.debug = console.error;
  return () => Object.assign(console, saved);
}

/** Serves one MCP session over `input` and `output` until the input ends or close is called. */
export async function serveMcpStdio(
  parts: McpParts,
  options: McpStdioOptions = {},
): Promise<McpStdio> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const maxLine = options.maxLine ?? MAX_LINE;
  const logger = parts.logger ?? {
    warn: (m: string) => void process.stderr.write(`${m}\n`),
  };
  const who: McpCaller = {
    session: 'stdio',
    transport: 'stdio',
    client: 'unknown',
    ...(options.caller && { caller: options.caller }),
  };
  const server = createMcpServer({ ...parts, logger }, who);
  const lines = new PassThrough();
  // The SDK's buffer holds at most one line (and its CR LF) of what onData passes on.
  const transport = new StdioServerTransport(lines, output, { maxBufferSize: maxLine + 2 });
  const restore = output === process.stdout ? consoleToStderr() : undefined;

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | undefined;
  let drain: NodeJS.Timeout | undefined;
  let pending = 0;
  let ended = false;

  // Deferred a tick: server.close() closes the transport, whose onclose calls close() again.
  const close = (): Promise<void> =>
    (closing ??= Promise.resolve().then(async () => {
      clearTimeout(drain);
      input.off('data', onData);
      if (input.listenerCount('data') === 0) input.pause(); // lets the process exit
      input.off('end', endInput);
      input.off('close', endInput);
      output.off('error', onOutputError);
      await server.close().catch(() => {});
      restore?.();
      resolveClosed();
    }));

  function onEnd(): void {
    if (ended) return;
    ended = true;
    if (pending === 0) return void close();
    drain = setTimeout(() => {
      logger.warn(`micro mcp: the input ended; ${pending} call(s) did not answer in time`);
      void close();
    }, DRAIN_MS);
  }
  function onOutputError(err: Error): void {
    logger.warn(`micro mcp: the output failed (${err.message}); the session ends`);
    void close();
  }

  // The input goes to the SDK a line (or the part of one read so far) at a time, never past maxLine.
  let line = 0;
  function onData(chunk: Buffer): void {
    if (closing) return;
    let from = 0;
    for (let nl = chunk.indexOf(10); ; nl = chunk.indexOf(10, from)) {
      const end = nl < 0 ? chunk.length : nl + 1;
      line += end - from - (nl < 0 ? 0 : 1);
      if (line > maxLine) {
        logger.warn(`micro mcp: a line over ${maxLine} bytes; the session ends`);
        return endInput();
      }
      if (end > from) lines.write(chunk.subarray(from, end));
      if (nl < 0) return;
      line = 0;
      from = end;
    }
  }

  /** No more input: what was passed on is handled, then onEnd lets the calls answer. */
  function endInput(): void {
    input.off('data', onData);
    if (!lines.writableEnded) lines.end();
  }

  transport.onclose = () => void close();
  input.on('data', onData);
  input.on('end', endInput);
  input.on('close', endInput);
  lines.once('end', onEnd);
  output.on('error', onOutputError);
  // Count the requests still unanswered, so that the end of the input lets them finish (the
  // server's connect keeps this onmessage and calls it first).
  transport.onmessage = (message) => {
    if (isRequest(message)) pending++;
  };
  const send = transport.send.bind(transport);
  transport.send = async (message) => {
    await send(message);
    if (isResponse(message) && --pending <= 0 && ended) void close();
  };
  await server.connect(transport);
  // A line that is not JSON, or not JSON-RPC, gets the error JSON-RPC names (id null), besides
  // the line on stderr that the server's onerror writes.
  const reported = server.onerror;
  server.onerror = (err) => {
    reported?.(err);
    const code = err instanceof SyntaxError ? -32700 : err.name === 'ZodError' ? -32600 : 0;
    if (code === 0) return;
    const message = code === -32700 ? 'Parse error' : 'Invalid Request';
    void send({
      jsonrpc: '2.0',
      id: null,
      error: { code, message },
    } as unknown as JSONRPCMessage).catch(() => {});
  };
  return { closed, close };
}
