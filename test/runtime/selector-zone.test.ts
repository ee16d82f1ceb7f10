import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service as ServiceRecord } from '../../src/registry/registry.ts';
import {
  createClient,
  createMemoryRegistry,
  createSelector,
  createTcpTransport,
  preferZone,
  serviceUnavailable,
  type Client,
  type Selector,
  type Service,
} from '../../src/runtime/index.ts';
import { zoneFilter, zoneMetadata } from '../../src/runtime/selector/zone.ts';
import { closeAll, quietService, record } from '../helpers/fixtures.ts';

const where: Record<string, [string, string]> = {
  a1: ['eu-1a', 'eu'],
  a2: ['eu-1a', 'eu'],
  b1: ['eu-1b', 'eu'],
  c1: ['us-1c', 'us'],
};
const services = (ids: string[]): ServiceRecord[] => [
  record('greeter', {
    nodes: ids.map((id) => ({
      id,
      address: '127.0.0.1:9',
      metadata: { zone: where[id]![0], region: where[id]![1] },
    })),
  }),
];
const ids = (list: ServiceRecord[]): string[] => list.flatMap((s) => s.nodes.map((n) => n.id));

describe('zone preference', () => {
  it('keeps the own zone, else the own region, else every node', () => {
    const prefer = preferZone('eu-1a', 'eu');
    assert.deepEqual(ids(prefer(services(['a1', 'b1', 'a2', 'c1']))), ['a1', 'a2']);
    assert.deepEqual(ids(prefer(services(['b1', 'c1']))), ['b1']);
    assert.deepEqual(ids(prefer(services(['c1']))), ['c1']);
    assert.deepEqual(ids(prefer([])), []);
  });

  it('with only a region, or neither, leaves the rest alone', () => {
    assert.deepEqual(ids(preferZone(undefined, 'us')(services(['a1', 'c1']))), ['c1']);
    const all = services(['a1', 'b1', 'c1']);
    assert.equal(preferZone()(all), all);
    assert.equal(zoneFilter({}, {})(all), all);
    assert.deepEqual(ids(zoneFilter({}, { MICRO_ZONE: 'eu-1b' })(all)), ['b1']);
    assert.deepEqual(ids(zoneFilter({ zone: 'us-1c' }, { MICRO_ZONE: 'eu-1b' })(all)), ['c1']);
  });

  it('spans versions, dropping a version with no node in the zone', () => {
    const two = [
      record('greeter', { version: '1', nodes: services(['a1'])[0]!.nodes }),
      record('greeter', { version: '2', nodes: services(['b1'])[0]!.nodes }),
    ];
    assert.deepEqual(
      preferZone('eu-1b')(two).map((s) => s.version),
      ['2'],
    );
  });

  it('counts only usable nodes as in a zone or region', () => {
    const prefer = preferZone('eu-1a', 'eu');
    const all = services(['a1', 'a2', 'b1', 'c1']);
    assert.deepEqual(ids(prefer(all, (n) => n.id !== 'a1')), ['a2']);
    assert.deepEqual(ids(prefer(all, (n) => n.id === 'c1' || n.id === 'b1')), ['b1']);
    assert.deepEqual(ids(prefer(all, () => false)), ['a1', 'a2', 'b1', 'c1']);
  });

  it('leaves a version whose only node in the zone fails for another zone', async (t) => {
    const registry = createMemoryRegistry();
    t.after(() => registry.close());
    const [v1, v2] = [services(['a1'])[0]!, services(['b1'])[0]!];
    await registry.register({ ...v1, version: '1' });
    await registry.register({ ...v2, version: '2' });
    const selector = createSelector({ registry, zone: 'eu-1a', region: 'eu' });
    t.after(() => selector.close());
    const picks = async (): Promise<string[]> => {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) seen.add((await selector.select('greeter'))().id);
      return [...seen];
    };
    assert.deepEqual(await picks(), ['a1']);
    selector.mark('greeter', v1.nodes[0]!, serviceUnavailable('greeter', 'down'));
    assert.deepEqual(await picks(), ['b1']);
  });

  it('puts a node in the zone of its metadata, else of MICRO_ZONE / MICRO_REGION', () => {
    const env = { MICRO_ZONE: 'eu-1a', MICRO_REGION: 'eu' };
    assert.deepEqual(zoneMetadata({}, env), { zone: 'eu-1a', region: 'eu' });
    assert.deepEqual(zoneMetadata({ zone: 'x' }, env), { zone: 'x', region: 'eu' });
    assert.deepEqual(zoneMetadata({ other: '1' }, {}), {});
  });
});

// Real nodes in two zones of one region and one elsewhere; a client in zone eu-1a.
describe('a client in a zone', () => {
  const registry = createMemoryRegistry();
  const nodes = new Map<string, Service>();
  const failing = new Set<string>();
  const calls = new Map<string, number>();
  let selector: Selector;
  let client: Client;

  /** Starts a greeter node created while MICRO_ZONE / MICRO_REGION are `env`. */
  const start = async (id: string, env: [string, string], metadata = {}): Promise<void> => {
    const saved = [process.env.MICRO_ZONE, process.env.MICRO_REGION];
    [process.env.MICRO_ZONE, process.env.MICRO_REGION] = env;
    const s = quietService({ name: 'greeter', id, registry, address: '127.0.0.1:0', metadata });
    for (const [i, k] of (['MICRO_ZONE', 'MICRO_REGION'] as const).entries())
      if (saved[i] === undefined) delete process.env[k];
      else process.env[k] = saved[i];
    s.handle('Say', {
      async Hello() {
        calls.set(id, (calls.get(id) ?? 0) + 1);
        if (failing.has(id)) throw serviceUnavailable('greeter', 'not now');
        return { node: id };
      },
    });
    await s.start();
    nodes.set(id, s);
  };

  before(async () => {
    // a1's zone comes from its metadata, which wins over the environment.
    await start('a1', ['elsewhere', 'eu'], { zone: 'eu-1a' });
    for (const id of ['a2', 'b1', 'c1']) await start(id, where[id]!);
    selector = createSelector({ registry, zone: 'eu-1a', region: 'eu' });
    client = createClient({ registry, transport: createTcpTransport(), selector });
  });

  after(async () => {
    await client.close();
    selector.close();
    await closeAll(...nodes.values(), registry);
  });

  /** Which nodes answered `count` calls. */
  const answered = async (count: number): Promise<string[]> => {
    const seen = new Set<string>();
    for (let i = 0; i < count; i++)
      seen.add((await client.call<{ node: string }>('greeter', 'Say.Hello', {})).node);
    return [...seen].sort();
  };

  it('registers each node with its zone and region', async () => {
    const [svc] = await registry.getService('greeter');
    const zones = Object.fromEntries(
      svc!.nodes.map((n) => [n.id, `${n.metadata.zone}/${n.metadata.region}`]),
    );
    assert.deepEqual(zones, {
      a1: 'eu-1a/eu',
      a2: 'eu-1a/eu',
      b1: 'eu-1b/eu',
      c1: 'us-1c/us',
    });
  });

  it('calls only nodes of its own zone while they are up', async () => {
    assert.deepEqual(await answered(40), ['a1', 'a2']);
  });

  it('leaves a failing node of its zone for the other one', async () => {
    failing.add('a1');
    const before = calls.get('a1') ?? 0;
    assert.deepEqual(await answered(30), ['a2']);
    assert.ok((calls.get('a1') ?? 0) - before <= 2, `a1 was called ${calls.get('a1')} times`);
  });

  it('goes to its region when its zone has no usable node, then anywhere', async () => {
    failing.add('a2');
    assert.deepEqual(await answered(20), ['b1']);
    await nodes.get('b1')!.stop();
    assert.deepEqual(await answered(20), ['c1']);
  });

  it('comes back to its zone when a node there serves', async () => {
    await start('a3', ['eu-1a', 'eu']);
    assert.deepEqual(await answered(20), ['a3']);
  });
});
