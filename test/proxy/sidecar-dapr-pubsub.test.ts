// Dapr's pub/sub through `micro sidecar`, driven by the official SDK (@dapr/dapr) unchanged: a
// DaprClient publishes, a DaprServer app subscribes with server.pubsub.subscribe and receives
// CloudEvents from the sidecar, on micro's durable events (a real control plane). A handler that
// answers RETRY gets the event again, DROP drops it (to the dead-letter topic when there is one),
// events that keep failing go to the dead-letter topic; hostile publishes get clear errors.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CommunicationProtocolEnum,
  DaprClient,
  DaprPubSubStatusEnum,
  DaprServer,
  LogLevel,
} from '@dapr/dapr';
import type { Events } from '../../src/platform/events/events.ts';
import { eventsFromEnv } from '../../src/platform/events/index.ts';
import { startSidecar, type Sidecar } from '../../src/proxy/sidecar/index.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, createHttpBroker, type Client } from '../../src/runtime/index.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, quiet } from '../helpers/fixtures.ts';
import { freePort } from '../helpers/net.ts';
import type { RunningServer } from '../helpers/server-process.ts';

/** The express app the SDK's DaprServer runs on, listening on 127.0.0.1 only. */
type Web = ((req: IncomingMessage, res: ServerResponse) => void) & {
  listen(port: number): Server;
  use(
    fn: (
      req: { method: string; path: string; body: unknown },
      res: unknown,
      next: () => void,
    ) => void,
  ): void;
};
const express = createRequire(import.meta.url)('express') as () => Web;

/** What the app was POSTed, by route: the CloudEvents as they arrived. */
class Seen extends EventEmitter {
  readonly posts: { path: string; body: Record<string, unknown> }[] = [];
  /**
   * Resolves with the posts for `topic` (the SDK's route `/pubsub--<topic>--default`), or to the
   * path `/x`, once there are `n`.
   */
  async wait(topic: string, n: number): Promise<Record<string, unknown>[]> {
    const part = `--${topic.replace(/[^a-zA-Z0-9-]/g, '-')}--`;
    const match = (path: string) => (topic.startsWith('/') ? path === topic : path.includes(part));
    for (;;) {
      const got = this.posts.filter((p) => match(p.path)).map((p) => p.body);
      if (got.length >= n) return got;
      await once(this, 'post');
    }
  }
}

describe('Dapr pub/sub through the sidecar, with the official SDK', () => {
  let plane: RunningServer;
  let registry: ReturnType<typeof createMicroRegistry>;
  let client: Client;
  let broker: ReturnType<typeof createHttpBroker>;
  let events: Events;
  let sidecar: Sidecar;
  let server: DaprServer;
  let dapr: DaprClient;
  let base = '';
  const seen = new Seen();
  const attempts = new Map<string, number>();
  const received: Record<string, unknown[]> = {};
  const got = (topic: string) => (data: unknown) => {
    (received[topic] ??= []).push(data);
  };

  before(async () => {
    plane = await startTestControlPlane('micro-dapr-pubsub-');
    registry = createMicroRegistry({ address: plane.address });
    client = createClient({ registry, name: 'dapr-test' });
    broker = createHttpBroker({ registry });
    events = eventsFromEnv({}, { client, from: 'dapr-test' });
    const appPort = await freePort();
    sidecar = await startSidecar({
      address: '127.0.0.1:0',
      registry,
      client,
      broker,
      events,
      logger: quiet,
      bodyLimit: 256 * 1024,
      app: { name: 'checkout', address: `127.0.0.1:${appPort}` },
    });
    const daprPort = sidecar.address.split(':')[1] ?? '';
    base = `http://${sidecar.address}`;
    const web = express();
    web.listen = (port) => createServer(web).listen(port, '127.0.0.1');
    server = new DaprServer({
      serverHost: '127.0.0.1',
      serverPort: String(appPort),
      serverHttp: web as never,
      clientOptions: { daprHost: '127.0.0.1', daprPort },
      logger: { level: LogLevel.Error },
    });
    // After the SDK's body parsers, before its routes: a record of every CloudEvent delivered.
    web.use((req, _res, next) => {
      if (req.method === 'POST') {
        seen.posts.push({ path: req.path, body: req.body as Record<string, unknown> });
        seen.emit('post');
      }
      next();
    });
    const ps = server.pubsub;
    await ps.subscribe('pubsub', 'orders', async (data: unknown) => got('orders')(data));
    await ps.subscribe('pubsub', 'flaky', async (data: unknown) => {
      const n = (attempts.get('flaky') ?? 0) + 1;
      attempts.set('flaky', n);
      got('flaky')(data);
      return n === 1 ? DaprPubSubStatusEnum.RETRY : DaprPubSubStatusEnum.SUCCESS;
    });
    await ps.subscribeWithOptions('pubsub', 'dropped', {
      deadLetterTopic: 'dropped.dead',
      callback: async (data: unknown) => {
        got('dropped')(data);
        return DaprPubSubStatusEnum.DROP;
      },
    });
    await ps.subscribeWithOptions('pubsub', 'poison', {
      deadLetterTopic: 'poison.dead',
      metadata: { maxDeliveries: 2 },
      callback: async (data: unknown) => {
        got('poison')(data);
        return DaprPubSubStatusEnum.RETRY;
      },
    });
    await ps.subscribe('pubsub', 'dropped.dead', async (data: unknown) =>
      got('dropped.dead')(data),
    );
    await ps.subscribe('pubsub', 'poison.dead', async (data: unknown) => got('poison.dead')(data));
    await server.start();
    await sidecar.subscribed;
    dapr = new DaprClient({
      daprHost: '127.0.0.1',
      daprPort,
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      logger: { level: LogLevel.Error },
    });
  });
  after(async () => {
    await server?.stop();
    await closeAll(sidecar, events, client, { close: () => broker.disconnect() });
    await registry?.close();
    await plane?.stop();
  });

  it('lists the pubsub component and the app subscriptions in the metadata', async () => {
    const m = await dapr.metadata.get();
    assert.ok(m.components.some((c) => c.name === 'pubsub' && c.type === 'pubsub.micro'));
    // The SDK's type leaves them out; the answer has them, as Dapr's does.
    const { subscriptions: subs } = m as unknown as {
      subscriptions: { pubsubname: string; topic: string; deadLetterTopic: string }[];
    };
    assert.deepEqual(subs.map((s) => `${s.pubsubname}/${s.topic}>${s.deadLetterTopic}`).sort(), [
      'pubsub/dropped.dead>',
      'pubsub/dropped>dropped.dead',
      'pubsub/flaky>',
      'pubsub/orders>',
      'pubsub/poison.dead>',
      'pubsub/poison>poison.dead',
    ]);
  });

  it('delivers a published event to the subscribed app as a CloudEvent, in the app group', async () => {
    assert.deepEqual(await dapr.pubsub.publish('pubsub', 'orders', { id: 7, item: 'tea' }), {});
    const [event] = await seen.wait('orders', 1);
    assert.deepEqual(received.orders, [{ id: 7, item: 'tea' }]);
    assert.equal(event?.specversion, '1.0');
    assert.equal(event?.type, 'com.dapr.event.sent');
    assert.equal(event?.source, 'checkout');
    assert.equal(event?.topic, 'orders');
    assert.equal(event?.pubsubname, 'pubsub');
    assert.equal(event?.datacontenttype, 'application/json');
    assert.match(String(event?.id), /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(String(event?.time))));
    // Stored on micro's events as the plain data, read back by micro's own client.
    const page = await events.read('orders');
    assert.deepEqual(
      page.events.map((e) => e.data),
      [{ id: 7, item: 'tea' }],
    );
    const [group] = await events.groups('orders');
    assert.equal(group?.group, 'checkout');
  });

  it('wraps an event a micro service publishes, and delivers text and custom CloudEvents', async () => {
    await events.publish('orders', { id: 8 });
    assert.deepEqual(
      await dapr.pubsub.publish('pubsub', 'orders', 'plain words', { contentType: 'text/plain' }),
      {},
    );
    // A CloudEvent of the app's own, sent twice (a retried publish): stored once, by source and id.
    for (let i = 0; i < 2; i++) {
      const custom = await fetch(`${base}/v1.0/publish/pubsub/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify({
          specversion: '1.0',
          id: 'order-9',
          source: 'shop',
          type: 'order.placed',
          data: { id: 9 },
        }),
      });
      assert.equal(custom.status, 204);
    }
    const stored = (await events.read('orders')).events.filter(
      (e) => JSON.stringify(e.data) === '{"id":9}',
    );
    assert.equal(stored.length, 1);
    // Delivered at once, several in flight: in any order.
    const posts = (await seen.wait('orders', 4)).slice(1);
    const by = (pick: (e: Record<string, unknown>) => boolean) => posts.find(pick) ?? {};
    const micro = by((e) => JSON.stringify(e.data) === '{"id":8}');
    assert.equal(micro.source, 'dapr-test');
    assert.equal(micro.datacontenttype, 'application/json');
    assert.equal(by((e) => e.data === 'plain words').datacontenttype, 'text/plain');
    const own = by((e) => e.id === 'order-9');
    assert.deepEqual([own.source, own.type, own.data], ['shop', 'order.placed', { id: 9 }]);
  });

  it('delivers again an event the handler answers RETRY to, with the same id', async () => {
    await dapr.pubsub.publish('pubsub', 'flaky', { n: 1 });
    const [first, second] = await seen.wait('flaky', 2);
    assert.deepEqual(received.flaky, [{ n: 1 }, { n: 1 }]);
    assert.equal(first?.id, second?.id);
  });

  it('drops an event the handler answers DROP to, into the dead-letter topic', async () => {
    await dapr.pubsub.publish('pubsub', 'dropped', { n: 2 });
    await seen.wait('dropped.dead', 1);
    assert.deepEqual(received['dropped.dead'], [{ n: 2 }]);
    assert.deepEqual(received.dropped, [{ n: 2 }]);
  });

  it('sends an event that keeps failing to the dead-letter topic after maxDeliveries', async () => {
    await dapr.pubsub.publish('pubsub', 'poison', { n: 3 });
    await seen.wait('poison.dead', 1);
    assert.deepEqual(received.poison, [{ n: 3 }, { n: 3 }]);
    assert.deepEqual(received['poison.dead'], [{ n: 3 }]);
  });

  it('bulk publishes, all delivered', async () => {
    const res = await dapr.pubsub.publishBulk('pubsub', 'orders', [{ id: 10 }, { id: 11 }]);
    assert.deepEqual(res.failedMessages, []);
    await seen.wait('orders', 6);
    const ids = received.orders?.slice(4).map((d) => (d as { id: number }).id);
    assert.deepEqual(ids?.sort(), [10, 11]);
    // All or none: one entry past the events' bounds fails the batch, and the SDK lists both.
    const failed = await dapr.pubsub.publishBulk('pubsub', 'orders', [
      { entryID: 'a', event: { id: 12 } },
      { entryID: 'b', event: { id: 13 }, metadata: { 'bad name': 'x' } },
    ]);
    assert.deepEqual(failed.failedMessages.map((f) => f.message.entryID).sort(), ['a', 'b']);
    assert.equal((await events.read('orders', { limit: 1000 })).events.length, 6);
  });

  it('answers hostile publishes with clear errors and stores nothing', async () => {
    const before = await events.topics();
    const post = (path: string, body: string, type = 'application/json') =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    const expect = async (res: Response, status: number, errorCode: string) => {
      assert.equal(res.status, status);
      const e = (await res.json()) as { errorCode: string; message: string; id: string };
      assert.equal(e.errorCode, errorCode);
      assert.equal(e.id, 'micro.sidecar');
      assert.ok(e.message.length > 0);
    };
    await expect(await post('/v1.0/publish/kafka/orders', '{}'), 404, 'ERR_PUBSUB_NOT_FOUND');
    await expect(await post('/v1.0/publish/pubsub', '{}'), 404, 'ERR_TOPIC_NAME_EMPTY');
    await expect(await post('/v1.0/publish//orders', '{}'), 404, 'ERR_PUBSUB_EMPTY');
    await expect(await post('/v1.0/publish/pubsub/a..b', '{}'), 400, 'ERR_MALFORMED_REQUEST');
    await expect(
      await post(`/v1.0/publish/pubsub/${'t'.repeat(300)}`, '{}'),
      400,
      'ERR_MALFORMED_REQUEST',
    );
    await expect(
      await post('/v1.0/publish/pubsub/micro.registry', '{}'),
      403,
      'ERR_PUBSUB_FORBIDDEN',
    );
    await expect(await post('/v1.0/publish/pubsub/orders', '{"id":'), 400, 'ERR_MALFORMED_REQUEST');
    await expect(
      await post('/v1.0/publish/pubsub/orders', `${'['.repeat(5000)}${']'.repeat(5000)}`),
      400,
      'ERR_MALFORMED_REQUEST',
    );
    await expect(
      await post('/v1.0/publish/pubsub/orders', '[1]', 'application/cloudevents+json'),
      400,
      'ERR_PUBSUB_CLOUD_EVENTS_SER',
    );
    await expect(
      await post(
        '/v1.0/publish/pubsub/orders',
        '{"specversion":"0.3"}',
        'application/cloudevents+json',
      ),
      400,
      'ERR_PUBSUB_CLOUD_EVENTS_SER',
    );
    await expect(
      await post('/v1.0-alpha1/publish/bulk/pubsub/orders', '{"a":1}'),
      400,
      'ERR_MALFORMED_REQUEST',
    );
    await expect(
      await post(
        '/v1.0-alpha1/publish/bulk/pubsub/orders',
        JSON.stringify([
          { entryId: 'a', event: 1 },
          { entryId: 'a', event: 2 },
        ]),
      ),
      400,
      'ERR_MALFORMED_REQUEST',
    );
    // Past the sidecar's body limit (256 KiB here): a 413 in the error shape.
    const huge = await post(
      '/v1.0/publish/pubsub/orders',
      JSON.stringify({ x: 'y'.repeat(300 * 1024) }),
    );
    assert.equal(huge.status, 413);
    assert.equal(((await huge.json()) as { id: string }).id, 'micro.sidecar');
    // Metadata past the events' bounds: a 400 naming it.
    const meta = await post('/v1.0/publish/pubsub/orders?metadata.bad%20name=1', '{}');
    assert.equal(meta.status, 400);
    assert.deepEqual(await events.topics(), before);
    assert.equal((await fetch(`${base}/v1.0/healthz`)).status, 204);
  });
});

describe('Dapr subscriptions of a hand-written app, on two sidecars of one app id', () => {
  let plane: RunningServer;
  let registry: ReturnType<typeof createMicroRegistry>;
  let client: Client;
  let broker: ReturnType<typeof createHttpBroker>;
  let events: Events;
  let app: Server;
  const sidecars: Sidecar[] = [];
  const posts = new Seen();

  before(async () => {
    plane = await startTestControlPlane('micro-dapr-subs-');
    registry = createMicroRegistry({ address: plane.address });
    client = createClient({ registry, name: 'dapr-test' });
    broker = createHttpBroker({ registry });
    events = eventsFromEnv({}, { client, from: 'dapr-test' });
    app = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8').on('data', (c: string) => (text += c));
      req.on('end', () => {
        if (req.url === '/dapr/subscribe')
          return res.end(
            JSON.stringify([
              {
                pubsubname: 'pubsub',
                topic: 'shipments',
                routes: {
                  rules: [
                    { match: 'event.data.kind == "express" && event.type != "x"', path: '/fast' },
                  ],
                  default: '/slow',
                },
              },
              { pubsubname: 'pubsub', topic: 'parcels', route: '/missing' },
              {
                pubsubname: 'pubsub',
                topic: 'restarts',
                route: '/restarts',
                metadata: { maxDeliveries: '1' },
              },
              {
                pubsubname: 'pubsub',
                topic: 'raw',
                route: '/raw',
                metadata: { rawPayload: 'true' },
              },
              { pubsubname: 'kafka', topic: 'elsewhere', route: '/x' },
              {
                pubsubname: 'pubsub',
                topic: 'odd',
                routes: { rules: [{ match: 'size(event) > 1', path: '/y' }] },
              },
            ]),
          );
        posts.posts.push({
          path: req.url ?? '',
          body: JSON.parse(text) as Record<string, unknown>,
        });
        posts.emit('post');
        res.statusCode = req.url === '/missing' ? 404 : 200;
        res.end(req.url === '/missing' ? 'no such route' : '{"status":"SUCCESS"}');
      });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const appPort = (app.address() as { port: number }).port;
    for (let i = 0; i < 2; i++)
      sidecars.push(
        await startSidecar({
          address: '127.0.0.1:0',
          registry,
          client,
          broker,
          events,
          logger: quiet,
          app: { name: 'shipping', address: `127.0.0.1:${appPort}` },
        }),
      );
    await Promise.all(sidecars.map((s) => s.subscribed));
  });
  after(async () => {
    await closeAll(...sidecars, events, client, { close: () => broker.disconnect() });
    await registry?.close();
    await new Promise((r) => app?.close(r));
    await plane?.stop();
  });

  const publish = (topic: string, data: unknown) =>
    fetch(`http://${sidecars[0]?.address}/v1.0/publish/pubsub/${topic}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(data),
    });
  const of = (path: string) => posts.posts.filter((p) => p.path === path).map((p) => p.body);
  const settle = async (topic: string): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      const [g] = await events.groups(topic);
      if (g && g.pending === 0 && g.lag === 0) return;
      await delay(20);
    }
    assert.fail(`${topic} did not settle`);
  };

  it('subscribes what it can honour and says so in the metadata', async () => {
    const m = (await (await fetch(`http://${sidecars[1]?.address}/v1.0/metadata`)).json()) as {
      subscriptions: { topic: string; rules: { match: string; path: string }[] }[];
    };
    assert.deepEqual(
      m.subscriptions.map((s) => s.topic),
      ['shipments', 'parcels', 'restarts', 'raw'],
    );
    assert.deepEqual(
      m.subscriptions[0]?.rules.map((r) => r.path),
      ['/fast', '/slow'],
    );
    const [group] = await events.groups('shipments');
    assert.deepEqual([group?.group, group?.members], ['shipping', 2]);
  });

  it('routes by the rules, and shares the events between the two sidecars: each delivered once', async () => {
    for (let i = 0; i < 20; i++)
      assert.equal(
        (await publish('shipments', { n: i, kind: i % 2 ? 'express' : 'ground' })).status,
        204,
      );
    await settle('shipments');
    const fast = of('/fast').map((e) => (e.data as { n: number }).n);
    const slow = of('/slow').map((e) => (e.data as { n: number }).n);
    assert.deepEqual(
      fast.sort((a, b) => a - b),
      [1, 3, 5, 7, 9, 11, 13, 15, 17, 19],
    );
    assert.deepEqual(
      slow.sort((a, b) => a - b),
      [0, 2, 4, 6, 8, 10, 12, 14, 16, 18],
    );
  });

  it('drops an event whose route answers 404, without delivering it again', async () => {
    assert.equal((await publish('parcels', { p: 1 })).status, 204);
    await settle('parcels');
    assert.deepEqual(
      of('/missing').map((e) => e.data),
      [{ p: 1 }],
    );
  });

  it('holds a delivery while the app restarts, and delivers it once it is back', async () => {
    // maxDeliveries 1: a failed delivery would go straight to the dead-letter topic.
    const port = (app.address() as { port: number }).port;
    app.closeAllConnections();
    await new Promise((r) => app.close(r));
    // In the app's place, a listener that hangs up on every connection, counting them.
    let tries = 0;
    const refuser = createNetServer((socket) => {
      tries++;
      socket.destroy();
      refuser.emit('try');
    });
    await new Promise<void>((r) => refuser.listen(port, '127.0.0.1', r));
    assert.equal((await publish('restarts', { n: 1 })).status, 204);
    while (tries < 2) await once(refuser, 'try');
    await new Promise((r) => refuser.close(r));
    await new Promise<void>((r) => app.listen(port, '127.0.0.1', r));
    await settle('restarts');
    assert.deepEqual(
      of('/restarts').map((e) => e.data),
      [{ n: 1 }],
    );
    const [group] = await events.groups('restarts');
    assert.equal(group?.deadLettered, 0);
  });

  it('sends rawPayload subscriptions the bytes as data_base64', async () => {
    assert.equal((await publish('raw', { a: 1 })).status, 204);
    const [event] = await posts.wait('/raw', 1);
    assert.equal(event?.datacontenttype, 'application/octet-stream');
    assert.deepEqual(JSON.parse(Buffer.from(String(event?.data_base64), 'base64').toString()), {
      a: 1,
    });
  });
});
