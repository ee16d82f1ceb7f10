// What the `micro mcp` end-to-end test runs against: the services it registers (greeter with a
// unary endpoint and a server stream; billing with an endpoint hidden by `mcp: 'false'`, one that
// fails and one the deny list names; weather, started later) and MCP SDK clients over stdio
// (`micro mcp serve` spawned through this Node) and over Streamable HTTP (the gateway's /mcp).
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  conflict,
  createService,
  endpoint,
  serverStream,
  type Registry,
  type Service,
} from '../../src/runtime/index.ts';
import { bin } from './cli.ts';
import { quiet } from './fixtures.ts';

/** Say.Hello's schemas, as the registry will hold them. */
export const helloRequest = {
  type: 'object',
  properties: { name: { type: 'string', description: 'who to greet' } },
  required: ['name'],
};
export const helloResponse = { type: 'object', properties: { msg: { type: 'string' } } };

/** greeter 1.0.0: Say.Hello (described) and Say.Count (a server stream of {i}, 0..n-1). */
export function greeter(registry: Registry): Service {
  const s = createService({
    name: 'greeter',
    version: '1.0.0',
    registry,
    handleSignals: false,
    logger: quiet,
  });
  s.handle('Say', {
    Hello: endpoint(
      {
        request: helloRequest,
        response: helloResponse,
        metadata: { description: 'Greets someone by name' },
      },
      async (req: { name: string }) => ({ msg: `Hello ${req.name}` }),
    ),
    Count: serverStream(
      {
        request: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
        response: { type: 'object', properties: { i: { type: 'integer' } } },
      },
      async function* (req: { n: number }) {
        for (let i = 0; i < req.n; i++) yield { i };
      },
    ),
  });
  return s;
}

/** billing 1.0.0: Pay.Charge; Pay.Secret (`mcp: 'false'`); Pay.Fail (a 409); Pay.Refund (denied by the test). */
export function billing(registry: Registry): Service {
  const s = createService({
    name: 'billing',
    version: '1.0.0',
    registry,
    handleSignals: false,
    logger: quiet,
  });
  s.handle('Pay', {
    Charge: endpoint(
      { request: { type: 'object', properties: { cents: { type: 'integer' } } } },
      async (req: { cents?: number }) => ({ charged: req.cents ?? 0 }),
    ),
    Secret: endpoint({ metadata: { mcp: 'false' } }, async () => ({ secret: 'never shown' })),
    Fail: endpoint({}, async () => {
      throw conflict('billing', 'card declined');
    }),
    Refund: endpoint({}, async () => ({ refunded: true })),
  });
  return s;
}

/** weather 1.0.0: Forecast.Today, the service that starts while the agents are connected. */
export function weather(registry: Registry): Service {
  const s = createService({
    name: 'weather',
    version: '1.0.0',
    registry,
    handleSignals: false,
    logger: quiet,
  });
  s.handle('Forecast', { Today: async () => ({ sky: 'clear' }) });
  return s;
}

/** An MCP client that counts the tool-list changes it was told of, and keeps what went wrong. */
export interface Agent {
  mcp: McpClient;
  /** tools/list_changed notifications received. */
  changes: number;
  /** Resolves once `changes` passes `seen` (within ms, else rejects). */
  changedAfter(seen: number, ms: number): Promise<void>;
  /** Transport errors (a line on stdout that is not the protocol would be one). */
  errors: Error[];
  /** What the server printed on stderr (stdio). */
  stderr: string[];
}

function agentOf(mcp: McpClient): Agent {
  const waiters: (() => void)[] = [];
  const agent: Agent = {
    mcp,
    changes: 0,
    errors: [],
    stderr: [],
    changedAfter(seen, ms) {
      if (agent.changes > seen) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no tools/list_changed within ${ms} ms`)),
          ms,
        );
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
  mcp.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    agent.changes++;
    for (const w of waiters.splice(0)) w();
  });
  mcp.onerror = (err) => void agent.errors.push(err);
  return agent;
}

const info = { name: 'micro-e2e', version: '1.0.0' };

/** `micro mcp serve` over stdio, started by the SDK's transport as an agent starts it. */
export async function stdioAgent(args: string[], env: Record<string, string>): Promise<Agent> {
  const inherited: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('MICRO_') && k !== 'NODE_TEST_CONTEXT') inherited[k] = v;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, 'mcp', 'serve', ...args],
    env: { ...inherited, ...env },
    stderr: 'pipe',
  });
  const agent = agentOf(new McpClient(info));
  transport.stderr?.on('data', (c: Buffer) => void agent.stderr.push(c.toString('utf8')));
  await agent.mcp.connect(transport);
  return agent;
}

/** An agent over Streamable HTTP at `url` (the gateway's /mcp). */
export async function httpAgent(url: string): Promise<Agent> {
  const agent = agentOf(new McpClient(info));
  await agent.mcp.connect(new StreamableHTTPClientTransport(new URL(url)));
  return agent;
}
