// A service's caller limits seen through the gateway and the sidecar: a caller over its rate gets
// HTTP 429 with Retry-After and the error shape; another caller is still served.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGateway, type Gateway } from '../../src/proxy/index.ts';
import { startSidecar, type Sidecar } from '../../src/proxy/sidecar/index.ts';
import {
  createClient,
  createMemoryBroker,
  createMemoryRegistry,
  type Client,
  type Service,
} from '../../src/runtime/index.ts';
import { closeAll, quiet, quietService } from '../helpers/fixtures.ts';

type Json = Record<string, unknown>;

/** Asserts a 429 from the service in the error shape, with a Retry-After of whole seconds. */
async function tooMany(res: Response, what: string): Promise<void> {
  const body = (await res.json()) as Json;
  assert.equal(res.status, 429, `${what}: ${JSON.stringify(body)}`);
  assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/, what);
  assert.deepEqual([body.code, body.id, body.status], [429, 'rated', 'Too Many Requests'], what);
  assert.match(String(body.detail), /more than 0\.001 times a second; retry after \d+ s/, what);
}

describe('caller limits through the gateway and the sidecar', () => {
  const registry = createMemoryRegistry();
  const broker = createMemoryBroker();
  let svc: Service;
  let gateway: Gateway;
  let sidecar: Sidecar;
  let viaSidecar: Client;
  const others: Client[] = [];
  /** A caller of its own (one call left in its rate). */
  const another = (name: string): Client => {
    const c = createClient({ registry, broker, name });
    others.push(c);
    return c;
  };

  before(async () => {
    // One call per 1,000 s per caller: the second call of a caller is always over its rate.
    svc = quietService({
      name: 'rated',
      registry,
      broker,
      address: '127.0.0.1:0',
      limits: { rate: 0.001 },
    });
    svc.handle('Gate', { Echo: async (req: unknown) => req });
    await svc.start();
    gateway = await createGateway({ registry, address: '127.0.0.1:0', log: false, trace: false });
    viaSidecar = createClient({ registry, broker, name: 'sidecar-app' });
    sidecar = await startSidecar({
      address: '127.0.0.1:0',
      registry,
      client: viaSidecar,
      broker,
      logger: quiet,
    });
  });
  after(() => closeAll(sidecar, gateway, viaSidecar, ...others, svc));

  const post = (base: string, path: string, body: unknown): Promise<Response> =>
    fetch(`http://${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('answers a caller over its rate through the gateway with 429 and Retry-After', async () => {
    const rpc = { service: 'rated', endpoint: 'Gate.Echo', request: { n: 1 } };
    const first = await post(gateway.address, '/rpc', rpc);
    assert.equal(first.status, 200, await first.clone().text());
    assert.deepEqual(await first.json(), { n: 1 });
    await tooMany(await post(gateway.address, '/rpc', rpc), 'gateway /rpc');
    await tooMany(await post(gateway.address, '/rated/gate/echo', { n: 2 }), 'gateway path');
    assert.deepEqual(await another('a').call('rated', 'Gate.Echo', 'still'), 'still');
  });

  it('answers a caller over its rate through the sidecar with 429 and Retry-After', async () => {
    const first = await post(sidecar.address, '/rated/Gate.Echo', { n: 1 });
    assert.equal(first.status, 200, await first.clone().text());
    await tooMany(await post(sidecar.address, '/rated/Gate.Echo', { n: 2 }), 'sidecar');
    await tooMany(
      await post(sidecar.address, '/v1.0/invoke/rated/method/Gate.Echo', { n: 3 }),
      "sidecar's Dapr invoke",
    );
    assert.deepEqual(await another('b').call('rated', 'Gate.Echo', 'again'), 'again');
  });
});
