// Test doubles of McpCore and McpResources (src/proxy/mcp/mcp.ts) for the protocol tests: a
// handful of tools whose calls answer, fail, stream, wait for cancellation, or add a tool (so that
// a client over any transport can make the tool list change), and a few resources.
import { notFound } from '../../../src/runtime/errors.ts';
import type {
  McpCaller,
  McpCore,
  McpResources,
  McpTool,
  ToolResult,
} from '../../../src/proxy/mcp/mcp.ts';

/** A tool of the double, calling `service.Handler.Method`. */
export function tool(name: string, extra: Partial<McpTool> = {}): McpTool {
  const [service = name, ...rest] = name.split('.');
  return {
    name,
    service,
    endpoint: rest.join('.'),
    title: `${service}: ${rest.join('.')}`,
    description: `Calls ${rest.join('.')} on ${service}`,
    inputSchema: { type: 'object' },
    scope: `service:${service}:${rest.join('.')}`,
    ...extra,
  };
}

/** The tools every double starts with. */
export const TOOLS: McpTool[] = [
  tool('greeter.Say.Hello', {
    description: 'Says hello',
    inputSchema: { type: 'object', properties: { name: { type: 'string' } } },
    outputSchema: { type: 'object', properties: { message: { type: 'string' } } },
  }),
  tool('greeter.Say.Fail'),
  tool('counter.Count.Stream', { stream: 'server' }),
  tool('slow.Wait.Forever'),
  tool('test.Tools.Add'),
  tool('test.Log.Print'),
];

const text = (v: unknown): ToolResult['content'] => [{ type: 'text', text: JSON.stringify(v) }];

/** A core whose tools are TOOLS plus `extra`; what it saw is kept for the tests to assert. */
export interface DoubleCore extends McpCore {
  /** The callers of every call, in order. */
  readonly callers: McpCaller[];
  /** Resolves when a call of slow.Wait.Forever was aborted. */
  readonly aborted: Promise<void>;
  /** Adds a tool and tells the listeners. */
  add(name: string): void;
  /** Listeners subscribed now. */
  listeners(): number;
}

/** The core double. */
export function doubleCore(extra: McpTool[] = []): DoubleCore {
  const tools = [...TOOLS, ...extra];
  const listeners = new Set<() => void>();
  const callers: McpCaller[] = [];
  let abort!: () => void;
  const aborted = new Promise<void>((r) => (abort = r));
  const core: DoubleCore = {
    callers,
    aborted,
    ready: Promise.resolve(),
    list: () => tools,
    find: (name) => tools.find((t) => t.name === name),
    listeners: () => listeners.size,
    add(name) {
      tools.push(tool(name));
      for (const l of listeners) l();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {},
    async call(name, args, who, options = {}) {
      callers.push({ ...who });
      if (!core.find(name)) throw notFound('micro.mcp', `no tool ${name}`);
      const a = (args ?? {}) as Record<string, unknown>;
      switch (name) {
        case 'greeter.Say.Hello': {
          const answer = { message: `Hello ${String(a.name)}` };
          return { content: text(answer), structuredContent: answer };
        }
        case 'counter.Count.Stream': {
          const n = typeof a.count === 'number' ? Math.min(a.count, 100) : 3;
          const messages = [];
          for (let i = 1; i <= n; i++) {
            messages.push({ n: i });
            options.progress?.(i, { n: i });
          }
          const answer = { messages, truncated: false };
          return { content: text(answer), structuredContent: answer };
        }
        case 'slow.Wait.Forever':
          await new Promise<void>((resolve) => {
            if (options.signal?.aborted) resolve();
            options.signal?.addEventListener('abort', () => resolve(), { once: true });
          });
          abort();
          return { content: text('aborted') };
        case 'test.Tools.Add':
          core.add(String(a.name));
          return { content: text({ added: a.name }) };
        case 'test.Log.Print':
          console.log('noise on stdout');
          return { content: text('printed') };
        default: {
          const e = {
            id: 'greeter',
            code: 500,
            detail: 'it failed',
            status: 'Internal Server Error',
          };
          return { content: text(e), structuredContent: e, isError: true };
        }
      }
    },
  };
  return core;
}

/** A resources double: `micro://services`, `micro://services/greeter`, and one template. */
export interface DoubleResources extends McpResources {
  /** Tells the listeners the list changed. */
  change(): void;
}

/** The resources double. */
export function doubleResources(): DoubleResources {
  const listeners = new Set<() => void>();
  const services = { uri: 'micro://services', name: 'services', mimeType: 'application/json' };
  const greeter = {
    uri: 'micro://services/greeter',
    name: 'greeter',
    mimeType: 'application/json',
  };
  return {
    list: () => Promise.resolve([services, greeter]),
    templates: () => [
      { uriTemplate: 'micro://logs/{service}', name: 'logs', mimeType: 'application/json' },
    ],
    read(uri) {
      if (uri === services.uri)
        return Promise.resolve([{ uri, mimeType: 'application/json', text: '["greeter"]' }]);
      if (uri === greeter.uri)
        return Promise.resolve([{ uri, mimeType: 'application/json', text: '{"name":"greeter"}' }]);
      return Promise.reject(notFound('micro.mcp', `no resource ${uri}`));
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    change() {
      for (const l of listeners) l();
    },
  };
}
