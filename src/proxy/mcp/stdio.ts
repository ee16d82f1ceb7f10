// `micro mcp serve` over stdio: one MCP session whose messages are newline-delimited JSON-RPC on
// the input and the output (the SDK's StdioServerTransport).
//
// Guarantees: nothing but protocol messages goes to the output; while the process's own stdout is
// the output, console.log/info/debug are sent to stderr, so a stray log line cannot break the
// protocol. A line over 4 MiB ends the session with a message on stderr (the buffer never grows
// past it); a line that is not JSON-RPC is reported on stderr and skipped. When the input ends
// (the agent went away), the calls in flight get up to 30 s to answer, then the session closes.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Readable, Writable } from 'node:stream';
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
  const who: McpCaller = { session: 'stdio', transport: 'stdio', client: 'unknown' };
  const server = createMcpServer({ ...parts, logger }, who);
  const transport = new StdioServerTransport(input, output, { maxBufferSize: maxLine });
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
      input.off('end', onEnd);
      input.off('close', onEnd);
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
    drain.unref();
  }
  function onOutputError(err: Error): void {
    logger.warn(`micro mcp: the output failed (${err.message}); the session ends`);
    void close();
  }

  transport.onclose = () => void close();
  transport.onerror = (err) => {
    if (err.message.includes('exceeded maximum size'))
      logger.warn(`micro mcp: a line over ${maxLine} bytes; the session ends`);
  };
  input.on('end', onEnd);
  input.on('close', onEnd);
  output.on('error', onOutputError);
  await server.connect(transport);

  // Count the requests still unanswered, so that the end of the input lets them finish.
  const receive = transport.onmessage;
  transport.onmessage = (message) => {
    if (isRequest(message)) pending++;
    receive?.(message);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message) => {
    await send(message);
    if (isResponse(message) && --pending <= 0 && ended) void close();
  };
  return { closed, close };
}
