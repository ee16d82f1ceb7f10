// micro: one service with Greeter.Hello; callers dial its address directly, with no registry process.
import {
  createClient,
  createHttpTransport,
  createMemoryRegistry,
  createService,
  createTcpTransport,
  type CallOptions,
} from '../../../src/runtime/index.ts';
import { quiet } from '../../lib/logger.ts';
import { REQUEST, hello, type Caller, type Target } from '../target.ts';

/** Client settings per variant: `json` and `msgpack` over the framed protocol, `http` over POST. */
const variants: Record<string, { http: boolean; contentType: string }> = {
  json: { http: false, contentType: 'application/json' },
  msgpack: { http: false, contentType: 'application/msgpack' },
  http: { http: true, contentType: 'application/json' },
};

export const micro: Target = {
  async serve() {
    const service = createService({
      name: 'bench',
      address: '127.0.0.1:0',
      // Callers dial the address: an in-process registry keeps the bench free of a control plane.
      registry: createMemoryRegistry(),
      handleSignals: false,
      logger: quiet,
    });
    service.handle('Greeter', { Hello: async (req: { name: string }) => hello(req) });
    await service.start();
    return { address: service.server.address, close: () => service.stop() };
  },

  async connect(address, variant) {
    const v = variants[variant];
    if (!v)
      throw new Error(`unknown micro variant ${variant}; use ${Object.keys(variants).join(', ')}`);
    const client = createClient({
      registry: createMemoryRegistry(),
      transport: v.http ? createHttpTransport() : createTcpTransport(),
    });
    const options: CallOptions = { address, contentType: v.contentType };
    const caller: Caller = {
      call: () => client.call('bench', 'Greeter.Hello', REQUEST, options),
      close: () => client.close(),
    };
    const rsp = (await caller.call()) as { msg?: string };
    if (rsp.msg !== 'Hello bench') throw new Error(`unexpected response ${JSON.stringify(rsp)}`);
    return caller;
  },
};
