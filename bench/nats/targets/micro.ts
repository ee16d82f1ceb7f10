// micro over its NATS transport: one service with Echo.Call; callers address it directly, so no
// registry traffic crosses the nats-server (each side has its own in-process registry).
import {
  createClient,
  createMemoryRegistry,
  createService,
  type CallOptions,
} from '../../../src/runtime/index.ts';
import { createNatsTransport } from '../../../src/runtime/transport/nats/index.ts';
import { quiet } from '../../lib/logger.ts';
import { REQUEST, checkEcho, type Caller, type Target } from '../target.ts';

export const micro: Target = {
  async serve(nats) {
    const service = createService({
      name: 'bench',
      address: '127.0.0.1:0',
      transport: createNatsTransport({ address: nats }),
      registry: createMemoryRegistry(),
      handleSignals: false,
      logger: quiet,
    });
    service.handle('Echo', { Call: async (req: unknown) => req });
    await service.start();
    return { address: service.server.address, close: () => service.stop() };
  },

  async connect(nats, address) {
    const client = createClient({
      registry: createMemoryRegistry(),
      transport: createNatsTransport({ address: nats }),
    });
    const options: CallOptions = { address, contentType: 'application/json' };
    const caller: Caller = {
      call: () => client.call('bench', 'Echo.Call', REQUEST, options),
      close: () => client.close(),
    };
    checkEcho(await caller.call());
    return caller;
  },
};
