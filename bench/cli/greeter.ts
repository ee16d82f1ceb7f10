// Child process: `node bench/cli/greeter.ts` is the greeter a user writes (examples/greeter):
// createService with the registry from the environment (MICRO_REGISTRY, MICRO_REGISTRY_ADDRESS), one
// line on stdout once it is listening, and a clean stop (deregister) on SIGTERM. It registers as
// $BENCH_GREETER_NAME (default greeter), which also reaches it through `micro run`.
import { createService, endpoint } from '../../src/runtime/index.ts';

// Info lines (the framework's own "listening" note) would repeat on the benchmark's stderr every run.
const quiet = {
  info: () => undefined,
  warn: (m: string) => console.error(m),
  error: (m: string) => console.error(m),
};

const service = createService({
  name: process.env.BENCH_GREETER_NAME ?? 'greeter',
  version: '1.0.0',
  logger: quiet,
});

service.handle('Say', {
  Hello: endpoint(
    {
      request: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      response: { type: 'object', properties: { msg: { type: 'string' } } },
    },
    async (req: { name: string }) => ({ msg: `Hello ${req.name}` }),
  ),
});

await service.start();
console.log(`${service.name} ${service.server.id} listening on ${service.server.address}`);
await service.run();
