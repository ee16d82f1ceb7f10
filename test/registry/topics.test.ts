// Telling the http broker's topic:<name> entries from services, and summarizing topics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '../../src/registry/registry.ts';
import { isTopic, servicesOnly, summarizeTopics, topicOf } from '../../src/registry/topics.ts';

const node = (id: string, metadata: Record<string, string> = {}) => ({
  id,
  address: `127.0.0.1:${id.length}`,
  metadata,
});
const subscriber = (topic: string, queue?: string) => ({
  name: topic,
  metadata: { subscriber: 'true', topic, ...(queue ? { queue } : {}) },
});

describe('topics in the registry', () => {
  it('tells topic entries from services by their name', () => {
    assert.equal(isTopic('topic:orders.created'), true);
    assert.equal(isTopic('orders'), false);
    assert.equal(topicOf('topic:a:b'), 'a:b');
    const entries: Service[] = [
      { name: 'greeter', version: '1', metadata: {}, endpoints: [], nodes: [node('g')] },
      {
        name: 'topic:events',
        version: 'broadcast',
        metadata: {},
        endpoints: [],
        nodes: [node('t')],
      },
    ];
    assert.deepEqual(
      servicesOnly(entries).map((s) => s.name),
      ['greeter'],
    );
    assert.equal(servicesOnly(entries, true).length, 2);
  });

  it('counts the broker’s subscriptions, or else the subscribing services’ nodes (brokers that register none)', () => {
    const entries: Service[] = [
      {
        name: 'notify',
        version: '1',
        metadata: {},
        endpoints: [subscriber('orders', 'workers'), subscriber('audit')],
        nodes: [node('n1'), node('n2')],
      },
      {
        name: 'notify',
        version: '2',
        metadata: {},
        endpoints: [subscriber('orders', 'workers')],
        nodes: [node('n3')],
      },
      {
        name: 'billing',
        version: '1',
        metadata: {},
        endpoints: [{ name: 'Bill.Pay', metadata: {} }, subscriber('orders')],
        nodes: [node('b1')],
      },
      {
        name: 'topic:orders',
        version: 'workers',
        metadata: {},
        endpoints: [],
        nodes: [node('s1', { queue: 'workers' }), node('s2', { queue: 'workers' })],
      },
      {
        name: 'topic:orders',
        version: 'broadcast',
        metadata: {},
        endpoints: [],
        nodes: [node('s3')],
      },
    ];
    assert.deepEqual(summarizeTopics(entries), [
      // No topic:audit entry (another broker): the two nodes of notify 1 subscribe.
      { topic: 'audit', subscribers: 2, queues: [], services: ['notify'] },
      { topic: 'orders', subscribers: 3, queues: ['workers'], services: ['billing', 'notify'] },
    ]);
    assert.deepEqual(summarizeTopics([]), []);
  });
});
