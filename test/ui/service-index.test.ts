// The explorer's ServiceIndex alone: watch events in, the services list (natural order) and the
// topics out, with the lists handed out again only when something in them changed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service, WatchEvent } from '../../src/registry/registry.ts';
import { compareNatural } from '../../src/registry/listing.ts';
import { ServiceIndex } from '../../src/ui/tui/service-index.ts';
import { record } from '../helpers/fixtures.ts';

/** A version of name with `nodes` nodes and `endpoints` endpoints. */
function version(name: string, v: string, nodes: number, endpoints = 2): Service {
  return record(name, {
    version: v,
    endpoints: Array.from({ length: endpoints }, (_, i) => ({ name: `E.m${i}`, metadata: {} })),
    nodes: Array.from({ length: nodes }, (_, i) => ({
      id: `${name}-${v}-${i}`,
      address: `127.0.0.1:${1000 + i}`,
      metadata: {},
    })),
  });
}

const create = (service: Service): WatchEvent => ({ action: 'create', service });
const update = (service: Service): WatchEvent => ({ action: 'update', service });
const remove = (service: Service): WatchEvent => ({ action: 'delete', service });

/** The services list as `name versions nodes endpoints` lines. */
const lines = (index: ServiceIndex): string[] =>
  index.take().services.map((s) => `${s.name} ${s.versions.join(',')} ${s.nodes} ${s.endpoints}`);

describe('ServiceIndex', () => {
  it('sorts in natural order: svc-2 before svc-10, versions too', () => {
    assert.ok(compareNatural('svc-2', 'svc-10') < 0);
    assert.ok(compareNatural('1.9.0', '1.10.0') < 0);
    assert.equal(compareNatural('a', 'a'), 0);
    assert.notEqual(compareNatural('svc-2', 'svc-02'), 0, 'names the collator holds equal differ');

    const index = new ServiceIndex();
    index.reset();
    for (const n of [10, 2, 1, 100, 20, 3]) index.apply(create(version(`svc-${n}`, '1.0.0', 1)));
    assert.deepEqual(
      index.take().services.map((s) => s.name),
      ['svc-1', 'svc-2', 'svc-3', 'svc-10', 'svc-20', 'svc-100'],
    );
    // Names added later go to their place, not to the end.
    index.apply(create(version('svc-11', '1.0.0', 1)));
    index.apply(create(version('svc-0', '1.0.0', 1)));
    assert.deepEqual(
      index.take().services.map((s) => s.name),
      ['svc-0', 'svc-1', 'svc-2', 'svc-3', 'svc-10', 'svc-11', 'svc-20', 'svc-100'],
    );
    index.apply(create(version('svc-1', '1.10.0', 1)));
    index.apply(create(version('svc-1', '1.9.0', 1)));
    assert.deepEqual(index.take().services[1]?.versions, ['1.0.0', '1.9.0', '1.10.0']);
  });

  it('applies creates, updates and deletes; a version with no nodes left goes', () => {
    const index = new ServiceIndex();
    index.reset();
    index.apply(create(version('billing', '1.0.0', 2, 3)));
    index.apply(create(version('auth', '1.0.0', 1, 1)));
    assert.deepEqual(lines(index), ['auth 1.0.0 1 1', 'billing 1.0.0 2 3']);

    // A second version: nodes add up, endpoints are the most any version has.
    index.apply(create(version('billing', '2.0.0', 1, 5)));
    assert.deepEqual(lines(index), ['auth 1.0.0 1 1', 'billing 1.0.0,2.0.0 3 5']);

    // An update carries the version as it now is.
    index.apply(update(version('billing', '1.0.0', 1, 3)));
    assert.deepEqual(lines(index), ['auth 1.0.0 1 1', 'billing 1.0.0,2.0.0 2 5']);

    // An update with no nodes left, and a delete, both remove the version.
    index.apply(update(version('billing', '2.0.0', 0, 5)));
    assert.deepEqual(lines(index), ['auth 1.0.0 1 1', 'billing 1.0.0 1 3']);
    index.apply(remove(version('billing', '1.0.0', 1, 3)));
    assert.deepEqual(lines(index), ['auth 1.0.0 1 1']);

    // A delete of what is not there changes nothing.
    index.apply(remove(version('ghost', '1.0.0', 1)));
    assert.deepEqual(lines(index), ['auth 1.0.0 1 1']);

    // reset() forgets everything for a full listing.
    index.reset();
    index.apply(create(version('zeta', '1.0.0', 1, 1)));
    assert.deepEqual(lines(index), ['zeta 1.0.0 1 1']);
  });

  it('hands out the same list while nothing in it changed, and new rows only where it did', () => {
    const index = new ServiceIndex();
    index.reset();
    for (let i = 0; i < 50; i++) index.apply(create(version(`svc-${i}`, '1.0.0', 1)));
    const first = index.take().services;
    assert.equal(index.pending, false);
    assert.equal(index.take().services, first, 'nothing applied: the same array');

    // A change that leaves the counts as they were (another node id) is no new row.
    const moved = version('svc-7', '1.0.0', 1);
    moved.nodes[0]!.id = 'elsewhere';
    index.apply(update(moved));
    assert.equal(index.pending, true);
    assert.equal(index.take().services, first, 'the same counts: the same array');

    index.apply(update(version('svc-7', '1.0.0', 3)));
    const second = index.take().services;
    assert.notEqual(second, first);
    assert.equal(second[7]?.name, 'svc-7');
    assert.equal(second[7]?.nodes, 3);
    assert.equal(second[8], first[8], 'rows that did not change are the same objects');
    assert.equal(first[7]?.nodes, 1, 'the list handed out before is left as it was');
  });

  it('keeps the topics apart from the services, and summarizes them', () => {
    const index = new ServiceIndex();
    index.reset();
    const notify = version('notify', '1.0.0', 2);
    notify.endpoints.push({
      name: 'orders.created',
      metadata: { subscriber: 'true', topic: 'orders.created', queue: 'workers' },
    });
    index.apply(create(notify));
    index.apply(create(version('topic:events', '', 3)));
    let { services, topics } = index.take();
    assert.deepEqual(
      services.map((s) => s.name),
      ['notify'],
    );
    assert.deepEqual(
      topics.map(
        (t) => `${t.topic} ${t.subscribers} ${t.queues.join(',')} ${t.services.join(',')}`,
      ),
      ['events 3  ', 'orders.created 2 workers notify'],
    );

    // The subscriber goes when the service version goes.
    index.apply(remove(notify));
    ({ services, topics } = index.take());
    assert.deepEqual(services, []);
    assert.deepEqual(
      topics.map((t) => t.topic),
      ['events'],
    );
  });
});
