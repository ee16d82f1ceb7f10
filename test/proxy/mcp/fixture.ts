// What the MCP core's tests share: an in-memory registry with real services on 127.0.0.1 (the
// greeter, the three stream shapes, a client stream that does
// not answer and a slow server stream, and `tools`: an echo of the caller's
// authorization, a failing endpoint, a number doubler, a slow one, one
// answering null where its schema promises an object, and one marked mcp:false), a client,
// an in-memory Audit that keeps what it is given, and the callers.
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Audit, AuditRecord } from '../../../src/platform/audit/audit.ts';
import { checkRecord } from '../../../src/platform/audit/validate.ts';
import type { McpCaller, McpCore } from '../../../src/proxy/mcp/mcp.ts';
import {
  clientStream,
  conflict,
  createClient,
  createMemoryRegistry,
  endpoint,
  serverStream,
  type Client,
  type Registry,
  type Service,
} from '../../../src/runtime/index.ts';
import type { Caller } from '../../../src/runtime/server/guard.ts';
import { closeAll, greeterService, quietService, streamHandlers } from '../../helpers/fixtures.ts';

/** An Audit that keeps every record in memory, in order; one the audit service would refuse is not kept. */
export function memoryAudit(): Audit & { records: AuditRecord[] } {
  const records: AuditRecord[] = [];
  return {
    records,
    report: (r) => void records.push(checkRecord(r)),
    flush: async () => {},
    close: async () => {},
  };
}

/** An MCP session over stdio, anonymous unless a caller and token are given. */
export const stdioCaller = (caller?: Caller, token?: string): McpCaller => ({
  session: 'stdio',
  transport: 'stdio',
  client: 'test-agent/1.0',
  ...(caller && { caller }),
  ...(token !== undefined && { token }),
});

/**
 * The official SDK's client over a minimal SDK Server (not server.ts) that hands tools/list and
 * tools/call to the core, linked in memory: the client checks what it gets as any agent's would
 * (the listing's shape, each output schema compiled, structured content validated against it).
 */
export async function sdkClient(
  core: McpCore,
  who: McpCaller = stdioCaller(),
): Promise<{ client: SdkClient; close(): Promise<void> }> {
  const server = new Server({ name: 'test', version: '0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: core.list(who) }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => ({
    ...(await core.call(req.params.name, req.params.arguments, who)),
  }));
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new SdkClient({ name: 'test-agent', version: '1.0' });
  await Promise.all([server.connect(a), client.connect(b)]);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** Resolves once check() is true, checking every 10 ms for at most ms. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The running services and what reaches them. */
export interface McpBench {
  registry: Registry;
  client: Client;
  services: Service[];
  close(): Promise<void>;
}

/** The `tools` service's handler: what the tests call besides the greeter and the streams. */
function toolsHandler() {
  return {
    Who: endpoint(
      { response: { type: 'object', properties: { authorization: { type: 'string' } } } },
      async (_req: unknown, ctx) => ({ authorization: ctx.metadata.authorization ?? '' }),
    ),
    Fail: endpoint({}, async () => {
      throw conflict('tools', 'it is already there');
    }),
    Double: endpoint(
      { request: { type: 'number' }, response: { type: 'number' } },
      async (n: number) => n * 2,
    ),
    Secret: endpoint({ metadata: { mcp: 'false' } }, async () => ({ secret: 42 })),
    // Answers after 10 s, or as soon as the caller goes away.
    Slow: endpoint({}, async (_req: unknown, ctx) => {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 10_000);
        ctx.signal.addEventListener('abort', () => (clearTimeout(t), resolve()));
      });
      return {};
    }),
    // Promises an object and answers null.
    Null: endpoint({ response: { type: 'object' } }, async () => null),
  };
}

/** Starts the greeter, `streams` (S.Count, S.Sum, S.Shout, S.Hold, S.Forever) and `tools` (T.*). */
export async function mcpBench(): Promise<McpBench> {
  const registry = createMemoryRegistry();
  const client = createClient({ registry });
  const streams = quietService({ name: 'streams', registry, address: '127.0.0.1:0' });
  streams.handle('S', {
    ...streamHandlers(),
    // Reads every message, then answers only when the caller goes away (or after 10 s).
    Hold: clientStream(async (input: AsyncIterable<unknown>, ctx) => {
      for await (const _ of input);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 10_000);
        ctx.signal.addEventListener('abort', () => (clearTimeout(t), resolve()));
      });
      return {};
    }),
    // Sends a message every 20 ms until the caller goes away (at most 1000).
    Forever: serverStream(async function* (_req: unknown, ctx) {
      for (let i = 0; i < 1000 && !ctx.signal.aborted; i++) {
        yield { i };
        await new Promise((r) => setTimeout(r, 20));
      }
    }),
  });
  const tools = quietService({ name: 'tools', registry, address: '127.0.0.1:0' });
  tools.handle('T', toolsHandler());
  const services = [greeterService(registry), streams, tools];
  for (const s of services) await s.start();
  return {
    registry,
    client,
    services,
    close: () => closeAll(...services, client, registry),
  };
}
