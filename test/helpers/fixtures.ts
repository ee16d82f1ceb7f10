// The small pieces many tests build the same way: a silent logger, a registry record, the greeter's
// Say.Hello (and a greeter serving it), the three streaming endpoints and a JSON POST. One copy
// here, so a test states only what differs.
import type { Node, Service as ServiceRecord } from '../../src/registry/registry.ts';
import {
  bidiStream,
  clientStream,
  createService,
  endpoint,
  serverStream,
  type Client,
  type EndpointDefinition,
  type Registry,
  type Service,
  type ServiceOptions,
} from '../../src/runtime/index.ts';

/** A logger that prints nothing, for services started inside a test. */
export const quiet = { info() {}, warn() {}, error() {} };

/** What `record` may set besides the name; a node list replaces the single default node. */
export interface RecordOptions {
  version?: string;
  metadata?: Record<string, string>;
  endpoints?: ServiceRecord['endpoints'];
  nodes?: Node[];
  /** The default node's address (ignored when `nodes` is given). */
  address?: string;
  /** The default node's id (ignored when `nodes` is given). */
  node?: string;
  /** The default node's metadata, e.g. `{ handler: 'web' }` (ignored when `nodes` is given). */
  nodeMetadata?: Record<string, string>;
}

/** A registry record for a service with one node, as tests register by hand. */
export function record(name: string, opts: RecordOptions = {}): ServiceRecord {
  return {
    name,
    version: opts.version ?? '1.0.0',
    metadata: opts.metadata ?? {},
    endpoints: opts.endpoints ?? [],
    nodes: opts.nodes ?? [
      {
        id: opts.node ?? `${name}-1`,
        address: opts.address ?? '127.0.0.1:9',
        metadata: opts.nodeMetadata ?? {},
      },
    ],
  };
}

/** The request schema of Say.Hello: an object with a required string `name`. */
export const nameSchema = {
  type: 'object',
  properties: { name: { type: 'string' } },
  required: ['name'],
};

/** Say.Hello as the README shows it: `{name}` in, `{msg: "Hello <name>"}` out, both schemas set. */
export function sayHello(): EndpointDefinition {
  return endpoint(
    {
      request: nameSchema,
      response: { type: 'object', properties: { msg: { type: 'string' } } },
    },
    async (req: { name: string }) => ({ msg: `Hello ${req.name}` }),
  );
}

/** A service as tests start one: the quiet logger, no signal handlers; options override those. */
export function quietService(options: ServiceOptions): Service {
  return createService({ handleSignals: false, logger: quiet, ...options });
}

/** A quiet greeter 1.0.0 on 127.0.0.1 serving Say.Hello (`sayHello()`); options override those. */
export function greeterService(registry: Registry, options: Partial<ServiceOptions> = {}): Service {
  const s = quietService({
    name: 'greeter',
    version: '1.0.0',
    registry,
    address: '127.0.0.1:0',
    ...options,
  });
  s.handle('Say', { Hello: sayHello() });
  return s;
}

/** The three stream shapes: Count (server: 0..n-1), Sum (client: adds n), Shout (bidi: upper case). */
export function streamHandlers(): Record<'Count' | 'Sum' | 'Shout', EndpointDefinition> {
  return {
    Count: serverStream(async function* (req: { n: number }) {
      for (let i = 0; i < req.n; i++) yield { i };
    }),
    Sum: clientStream(async (input: AsyncIterable<{ n: number }>) => {
      let sum = 0;
      for await (const m of input) sum += m.n;
      return { sum };
    }),
    Shout: bidiStream(async function* (input: AsyncIterable<{ word: string }>) {
      for await (const m of input) yield { word: m.word.toUpperCase() };
    }),
  };
}

/** Streams `{n}` to a Count endpoint (see `streamHandlers`) and returns every `i` it sent, in order. */
export async function counted(
  client: Client,
  service: string,
  endpoint: string,
  n: number,
): Promise<number[]> {
  const s = await client.stream<{ n: number }, { i: number }>(service, endpoint);
  s.send({ n });
  s.end();
  const got: number[] = [];
  for await (const m of s) got.push(m.i);
  return got;
}

/** Close what a test opened, in order, each even if an earlier one failed; rethrows the first error. */
export async function closeAll(
  ...items: ({ close(): Promise<unknown> } | { stop(): Promise<unknown> } | undefined)[]
): Promise<void> {
  const failed: unknown[] = [];
  for (const item of items) {
    if (!item) continue;
    try {
      await ('close' in item ? item.close() : item.stop());
    } catch (err) {
      failed.push(err);
    }
  }
  if (failed.length > 0)
    throw failed[0] instanceof Error ? failed[0] : new Error(String(failed[0]));
}

/** POSTs to url as JSON: an object encoded, a string as it is; headers add to (or replace) the content type. */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
