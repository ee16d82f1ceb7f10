// The dashboard's event stream and a reader that stopped reading: it is cut off once too much
// waits for it, rather than every later batch being held in the dashboard's memory.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import Fastify from 'fastify';
import { createMemoryRegistry, type RegistryService } from '../../../src/runtime/index.ts';
import { registerEvents } from '../../../src/ui/web/events.ts';
import { createFeed } from '../../../src/ui/web/feed.ts';

const service = (i: number): RegistryService => ({
  name: `svc-${i}-${'x'.repeat(60)}`,
  version: '1.0.0',
  metadata: {},
  endpoints: [{ name: 'Say.Hello', metadata: {} }],
  nodes: [{ id: `n-${i}`, address: `127.0.0.1:${1000 + (i % 60_000)}`, metadata: {} }],
});

test('a stream whose reader stopped reading is closed once its backlog passes the bound', async () => {
  const registry = createMemoryRegistry();
  const feed = createFeed({ registry });
  const app = Fastify();
  const streams = registerEvents(app, feed, { tick: 5, maxBacklog: 64 * 1024 });
  const port = await app
    .listen({ host: '127.0.0.1', port: 0 })
    .then((a) => Number(new URL(a).port));
  const stalled = connect(port, '127.0.0.1');
  const connected = once(stalled, 'connect');
  const lively = await fetch(`http://127.0.0.1:${port}/_/api/events`);
  const reader = lively.body!.getReader();
  let read = 0;
  const reading = (async () => {
    for (;;) {
      const chunk = (await reader.read()) as { done: boolean; value: Uint8Array };
      if (chunk.done) return;
      read += chunk.value.length;
    }
  })();
  try {
    await connected;
    stalled.write(`GET /_/api/events HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`);
    stalled.pause();
    // About 10 MB of batches, more than the kernel's buffers hold for a reader that does not read.
    // Pauses let the batches go out as they would in a running dashboard.
    for (let i = 0; i < 30_000; i++) {
      await registry.register(service(i), { ttl: 60_000 });
      if (i % 250 === 249) await new Promise((r) => setTimeout(r, 6));
    }
    // What reached it is read now; without the cut the stream would stay open (heartbeats).
    const ended = once(stalled, 'end');
    stalled.resume();
    await ended;
    assert.ok(read > 8 * 1024 * 1024, `the stream that reads was not cut: it had ${read} bytes`);
  } finally {
    stalled.destroy();
    streams.close();
    await reader.cancel().catch(() => undefined);
    await reading.catch(() => undefined);
    feed.close();
    await app.close();
    await registry.close();
  }
});
