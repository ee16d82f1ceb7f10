// What the sidecar makes of an app's GET /dapr/subscribe answer: subscriptions it can honour kept,
// the others left out with a reason (never a crash), routing rules in the CEL subset, and the
// CloudEvent a stored event becomes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toCloudEvent } from '../../src/proxy/sidecar/dapr/cloudevent.ts';
import { compileMatch } from '../../src/proxy/sidecar/dapr/routing.ts';
import { readSubscriptions, routeOf } from '../../src/proxy/sidecar/dapr/subscriptions.ts';

const read = (body: unknown) => readSubscriptions(body, ['pubsub'], 'checkout');

describe('Dapr subscriptions read from the app', () => {
  it('keeps a good subscription, with the group, dead letter and metadata options', () => {
    const { subscriptions, skipped } = read([
      {
        pubsubname: 'pubsub',
        topic: 'orders',
        route: 'orders',
        deadLetterTopic: 'orders.failed',
        metadata: { maxDeliveries: '3', ackTimeout: '"2000"', initialOffset: '"oldest"' },
      },
    ]);
    assert.deepEqual(skipped, []);
    assert.equal(subscriptions[0]?.default, '/orders');
    assert.deepEqual(subscriptions[0]?.options, {
      group: 'checkout',
      start: 'earliest',
      deadLetter: 'orders.failed',
      maxDeliveries: 3,
      ackTimeout: 2000,
    });
  });

  it('leaves out, with a reason each, what it cannot honour', () => {
    const { subscriptions, skipped } = read([
      null,
      { pubsubname: 'kafka', topic: 'a', route: '/a' },
      { pubsubname: 'pubsub', topic: 'a/b', route: '/a' },
      { pubsubname: 'pubsub', topic: 'micro.registry', route: '/a' },
      { pubsubname: 'pubsub', topic: 'b' },
      { pubsubname: 'pubsub', topic: 'c', route: '/c', metadata: { maxDeliveries: '1000' } },
      { pubsubname: 'pubsub', topic: 'd', route: '/d', bulkSubscribe: { enabled: true } },
      {
        pubsubname: 'pubsub',
        topic: 'e',
        routes: { rules: [{ match: 'event.x in [1]', path: '/e' }] },
      },
      { pubsubname: 'pubsub', topic: 'f', route: '/f\n' },
      { pubsubname: 'pubsub', topic: 'g', route: '/g' },
      { pubsubname: 'pubsub', topic: 'g', route: '/g2' },
    ]);
    assert.deepEqual(
      subscriptions.map((s) => s.topic),
      ['g'],
    );
    assert.equal(skipped.length, 10);
    assert.match(skipped[1] ?? '', /kafka.*not configured/);
    assert.match(skipped[5] ?? '', /maxDeliveries/);
    assert.match(skipped[9] ?? '', /subscribed twice/);
    assert.deepEqual(read({ not: 'a list' }).skipped, [
      'GET /dapr/subscribe must answer a JSON array',
    ]);
    assert.equal(
      read(
        Array.from({ length: 150 }, (_, i) => ({
          pubsubname: 'pubsub',
          topic: `t${i}`,
          route: '/t',
        })),
      ).subscriptions.length,
      100,
    );
  });

  it('routes by the first matching rule, else the default', () => {
    const [s] = read([
      {
        pubsubname: 'pubsub',
        topic: 'orders',
        routes: {
          rules: [
            {
              match:
                'event.type == "order.big" || (event.data.qty >= 10 && event.data.kind != \'gift\')',
              path: '/big',
            },
            { match: "event.data.kind == 'gift'", path: '/gift' },
          ],
          default: '/small',
        },
      },
    ]).subscriptions;
    assert.ok(s);
    const at = (type: string, data: unknown) => routeOf(s, { type, data });
    assert.equal(at('order.big', {}), '/big');
    assert.equal(at('x', { qty: 12, kind: 'box' }), '/big');
    assert.equal(at('x', { qty: 12, kind: 'gift' }), '/gift');
    assert.equal(at('x', { qty: '12' }), '/small');
    assert.equal(at('x', null), '/small');
  });

  it('refuses a match outside the subset, or too long or deep, without throwing past compile', () => {
    for (const bad of [
      'event.a',
      'event.a ==',
      'size(event) > 1',
      '(event.a == 1',
      `${'('.repeat(30)}event.a == 1${')'.repeat(30)}`,
      'x'.repeat(2000),
    ])
      assert.throws(() => compileMatch(bad), TypeError);
  });

  it('makes the CloudEvent of an event a micro service published', () => {
    const e = toCloudEvent(
      {
        topic: 'orders',
        offset: 1,
        id: 'u-1',
        time: 0,
        metadata: { 'micro-from': 'billing' },
        data: { id: 1 },
      },
      'pubsub',
    );
    assert.deepEqual(e, {
      specversion: '1.0',
      id: 'u-1',
      source: 'billing',
      type: 'com.dapr.event.sent',
      datacontenttype: 'application/json',
      time: '1970-01-01T00:00:00.000Z',
      topic: 'orders',
      pubsubname: 'pubsub',
      data: { id: 1 },
    });
  });
});
