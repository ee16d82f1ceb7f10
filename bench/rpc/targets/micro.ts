// micro: one service with Greeter.Hello; callers dial its address directly, with no registry process.
import * as z from 'zod';
import {
  createClient,
  createSelector,
  endpoint,
  createHttpTransport,
  createMemoryRegistry,
  createService,
  createTcpTransport,
  strategies,
  type CallOptions,
  type StrategyName,
} from '../../../src/runtime/index.ts';
import { quiet } from '../../lib/logger.ts';
import { REQUEST, hello, type Caller, type Target } from '../target.ts';

/**
 * Client settings per variant: `json` and `msgpack` over the framed protocol, `http` over POST; a
 * strategy's name (random, least-outstanding, latency): json, the node picked by the selector with
 * that strategy among three registered nodes (one server behind them), instead of dialed directly.
 */
const variants: Record<string, { http: boolean; contentType: string; strategy?: StrategyName }> = {
  json: { http: false, contentType: 'application/json' },
  msgpack: { http: false, contentType: 'application/msgpack' },
  http: { http: true, contentType: 'application/json' },
  ...Object.fromEntries(
    (Object.keys(strategies) as StrategyName[]).map((strategy) => [
      strategy,
      { http: false, contentType: 'application/json', strategy },
    ]),
  ),
};

/** How Greeter.Hello checks its request: not at all, with a JSON Schema (ajv), or with Zod. */
const checks = {
  none: () => ({ Hello: async (req: { name: string }) => hello(req) }),
  ajv: () => ({
    Hello: endpoint(
      { request: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
      async (req: { name: string }) => hello(req),
    ),
  }),
  zod: () => ({
    Hello: endpoint({ request: z.object({ name: z.string() }) }, async (req) => hello(req)),
  }),
};

/** A micro target whose Greeter.Hello checks requests the given way. */
function checking(check: keyof typeof checks): Target {
  return {
    async serve() {
      const service = createService({
        name: 'bench',
        address: '127.0.0.1:0',
        // Callers dial the address: an in-process registry keeps the bench free of a control plane.
        registry: createMemoryRegistry(),
        handleSignals: false,
        logger: quiet,
      });
      service.handle('Greeter', checks[check]());
      await service.start();
      return { address: service.server.address, close: () => service.stop() };
    },
    connect,
  };
}

/** A client of the target at address, checked with one call. */
async function connect(address: string, variant: string): Promise<Caller> {
  const v = variants[variant];
  if (!v)
    throw new Error(`unknown micro variant ${variant}; use ${Object.keys(variants).join(', ')}`);
  const registry = createMemoryRegistry();
  const strategy = v.strategy === undefined ? undefined : strategies[v.strategy];
  if (strategy) {
    const nodes = [1, 2, 3].map((i) => ({ id: `bench-${i}`, address, metadata: {} }));
    await registry.register({ name: 'bench', version: '1', metadata: {}, endpoints: [], nodes });
  }
  const client = createClient({
    registry,
    transport: v.http ? createHttpTransport() : createTcpTransport(),
    ...(strategy && { selector: createSelector({ registry, strategy }) }),
  });
  const options: CallOptions = strategy
    ? { contentType: v.contentType }
    : { address, contentType: v.contentType };
  const caller: Caller = {
    call: () => client.call('bench', 'Greeter.Hello', REQUEST, options),
    close: () => client.close(),
  };
  const rsp = (await caller.call()) as { msg?: string };
  if (rsp.msg !== 'Hello bench') throw new Error(`unexpected response ${JSON.stringify(rsp)}`);
  return caller;
}

/** micro with no request check, as the other contenders. */
export const micro: Target = checking('none');
/** micro with Greeter.Hello's request checked by a JSON Schema (ajv). */
export const microAjv: Target = checking('ajv');
/** micro with Greeter.Hello's request checked by a Zod schema (Standard Schema). */
export const microZod: Target = checking('zod');
