// The greeter service: Say.Hello takes {"name": "Ann"} and answers {"msg": "Hello Ann"}.
import { createService, endpoint } from '../../src/runtime/index.ts';

// The registry and address come from MICRO_REGISTRY, MICRO_REGISTRY_ADDRESS and MICRO_SERVER_ADDRESS.
const service = createService({ name: 'greeter', version: '1.0.0' });

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
console.log(`greeter ${service.server.id} listening on ${service.server.address}`);
await service.run();
