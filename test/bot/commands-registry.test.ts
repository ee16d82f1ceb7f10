// The bot's registry commands against a memory registry and a real greeter: list services, get
// service, health (each node probed now, a dead one failed), register and deregister (validated).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, createMemoryRegistry, type Service } from '../../src/runtime/index.ts';
import { firstNodes } from '../../src/bot/commands/registry.ts';
import { closeAll, greeterService, record } from '../helpers/fixtures.ts';
import { partsOf, run, tableOf, textOf } from './command-context.ts';

describe('the bot’s registry commands', () => {
  const registry = createMemoryRegistry();
  const client = createClient({ registry });
  const t = { registry, client };
  let greeter: Service;

  before(async () => {
    greeter = greeterService(registry);
    await greeter.start();
  });
  after(() => closeAll(greeter, client, registry));

  it('list services: a row per name with its versions and nodes, as micro list services', async () => {
    await registry.register(record('billing', { version: '2.0.0', node: 'billing-a' }));
    await registry.register(record('billing', { version: '1.0.0', node: 'billing-b' }));
    // The http broker's topic entries are not services.
    await registry.register(record('topic:orders'));
    try {
      const answer = await run(t, 'list services');
      assert.deepEqual(answer, [
        {
          kind: 'table',
          header: ['NAME', 'VERSIONS', 'NODES'],
          rows: [
            ['billing', '1.0.0, 2.0.0', '2'],
            ['greeter', '1.0.0', '1'],
          ],
        },
      ]);
      assert.deepEqual(tableOf(await run(t, 'List Service')).rows.length, 2);
    } finally {
      await registry.deregister(record('billing', { version: '2.0.0', node: 'billing-a' }));
      await registry.deregister(record('billing', { version: '1.0.0', node: 'billing-b' }));
      await registry.deregister(record('topic:orders'));
    }
  });

  it('list services says so when there are more than it shows', async () => {
    const many = Array.from({ length: 205 }, (_, i) => record(`svc-${i}`));
    for (const s of many) await registry.register(s);
    try {
      const answer = await run(t, 'list services');
      assert.equal(tableOf(answer).rows.length, 200);
      assert.equal(tableOf(answer).rows[0]?.[0], 'greeter');
      assert.match(textOf(answer), /the first 200 names only: micro list services shows every one/);
    } finally {
      for (const s of many) await registry.deregister(s);
    }
  });

  it('get service: nodes and endpoints as tables, the request schemas as JSON', async () => {
    const answer = await run(t, 'get service greeter');
    assert.match(textOf(answer), /^greeter 1\.0\.0 \(metadata: /);
    const [nodes, endpoints] = partsOf(answer, 'table');
    assert.deepEqual(nodes?.header, ['NODE', 'ADDRESS', 'METADATA']);
    assert.equal(nodes?.rows.length, 1);
    assert.match(nodes?.rows[0]?.[1] ?? '', /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(endpoints?.header, ['ENDPOINT', 'STREAM', 'REQUEST', 'RESPONSE']);
    const hello = endpoints?.rows.find((r) => r[0] === 'Say.Hello');
    assert.deepEqual(hello, ['Say.Hello', '-', '{ name: string }', '{ msg?: string }']);
    const [schemas] = partsOf(answer, 'json');
    assert.deepEqual((schemas?.value as Record<string, unknown>)['Say.Hello'], {
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
    });
  });

  it('get service: a 404 for a service not registered, a 400 without a name', async () => {
    await assert.rejects(run(t, 'get service nobody'), { code: 404, id: 'micro.registry' });
    await assert.rejects(run(t, 'get service'), {
      code: 400,
      detail: 'name one service: write get service <name>',
    });
  });

  it("health: each node's Debug.Health probed now; a node that does not answer is failed", async () => {
    const ok = tableOf(await run(t, 'health greeter'));
    assert.deepEqual(ok.header, [
      'NODE',
      'ADDRESS',
      'VERSION',
      'STATUS',
      'LATENCY',
      'CHECKS',
      'ERROR',
      'MONITOR',
    ]);
    assert.equal(ok.rows[0]?.[3], 'ok');
    const dead = record('greeter', {
      version: '0.9.0',
      node: 'greeter-dead',
      address: '127.0.0.1:9',
    });
    await registry.register(dead);
    try {
      const answer = await run(t, 'health greeter');
      const rows = tableOf(answer).rows;
      const down = rows.find((r) => r[0] === 'greeter-dead');
      assert.equal(down?.[3], 'failed');
      assert.notEqual(down?.[6], '-', 'the error is said');
      assert.match(textOf(answer), /^1 of 2 nodes healthy$/);
    } finally {
      await registry.deregister(dead);
    }
    await assert.rejects(run(t, 'health nobody'), { code: 404 });
  });

  it('health probes the first nodes only of a service with very many, and says so', () => {
    const nodes = (n: number, v: string) =>
      Array.from({ length: n }, (_, i) => ({
        id: `${v}-${i}`,
        address: '127.0.0.1:9',
        metadata: {},
      }));
    const [kept, skipped] = firstNodes(
      [
        record('big', { version: '1', nodes: nodes(150, 'a') }),
        record('big', { version: '2', nodes: nodes(100, 'b') }),
        record('big', { version: '3', nodes: nodes(5, 'c') }),
      ],
      200,
    );
    assert.deepEqual(
      kept.map((s) => [s.version, s.nodes.length]),
      [
        ['1', 150],
        ['2', 50],
      ],
    );
    assert.equal(skipped, 55);
  });

  it('register and deregister a record written as JSON; both change state', async () => {
    const json = '{"name": "inventory", "nodes": [{"id": "inv-1", "address": "127.0.0.1:9"}]}';
    const registered = await run(t, `register ${json}`, [json]);
    assert.equal(textOf(registered), 'registered inventory latest (1 node)');
    assert.equal((await registry.getService('inventory'))[0]?.nodes[0]?.id, 'inv-1');
    // As the original and the CLI write it too: `register service JSON`.
    const gone = await run(t, `deregister service ${json}`, ['service', json]);
    assert.equal(textOf(gone), 'deregistered inv-1 of inventory latest');
    await assert.rejects(registry.getService('inventory'), {
      code: 'MICRO_ERR_REGISTRY_NOT_FOUND',
    });
  });

  it('register refuses what is not a valid record, saying what is wrong', async () => {
    await assert.rejects(run(t, 'register {"name": inventory}', ['{"name": inventory}']), (err) => {
      assert.equal((err as { code: number }).code, 400);
      assert.match((err as Error).message, /^the service record is not valid JSON \(/);
      return true;
    });
    await assert.rejects(run(t, 'register {"name":"inventory"}', ['{"name":"inventory"}']), {
      code: 400,
      detail:
        'service inventory needs at least one node, e.g. "nodes":[{"id":"inventory-1","address":"127.0.0.1:9090"}]',
    });
    await assert.rejects(run(t, 'register'), {
      code: 400,
      detail: 'give the service record as JSON: write register <json>',
    });
    const invalid = '{"name":"bad name!","nodes":[{"address":"127.0.0.1:9"}]}';
    await assert.rejects(run(t, `register ${invalid}`, [invalid]), { code: 400 });
  });
});
