// The platform events stream and a reader that stopped reading: it is cut off once too much waits
// for it, while a reader that reads gets every event.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import Fastify from 'fastify';
import { createMemoryEvents } from '../../../src/platform/events/index.ts';
import { registerEventsStream } from '../../../src/ui/web/events-stream.ts';

test('a platform events stream whose reader stopped reading is cut past its backlog bound', async () => {
  const events = createMemoryEvents();
  const app = Fastify();
  const streams = registerEventsStream(app, {
    events,
    fail: (reply, err) => reply.code(500).send(String(err)),
    maxBacklog: 64 * 1024,
  });
  const port = await app
    .listen({ host: '127.0.0.1', port: 0 })
    .then((a) => Number(new URL(a).port));
  const stalled = connect(port, '127.0.0.1');
  const connected = once(stalled, 'connect');
  const lively = await fetch(`http://127.0.0.1:${port}/_/api/events/stream?backlog=0`);
  const reader = lively.body!.pipeThrough(new TextDecoderStream()).getReader();
  let read = 0;
  let tail = '';
  let sawLast = false;
  let last = 0;
  const reading = (async () => {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return;
      read += chunk.value.length;
      tail = (tail + chunk.value).slice(-2000);
      sawLast ||= last > 0 && tail.includes(`"offset":${last},`);
    }
  })();
  try {
    await connected;
    stalled.write(`GET /_/api/events/stream?backlog=0 HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`);
    stalled.pause();
    // Batches of about 450 KB until the stalled stream is cut: more than the kernel's buffers hold
    // for a reader that does not read (at most 100 batches, 45 MB).
    const summary = 'x'.repeat(400);
    let batches = 0;
    for (let i = 0; i < 2000 && streams.size < 2; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(streams.size, 2, 'both streams are open');
    for (; batches < 100 && streams.size === 2; batches++) {
      await events.publishMany(
        'micro.registry',
        Array.from({ length: 1000 }, (_, j) => ({
          data: { action: 'register', service: `s${batches * 1000 + j}`, summary },
        })),
      );
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(streams.size, 1, `the stalled stream was not cut after ${batches} batches`);
    last = batches * 1000;
    sawLast = tail.includes(`"offset":${last},`);
    const ended = once(stalled, 'end');
    stalled.resume();
    await ended;
    for (let i = 0; i < 200 && !sawLast; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(sawLast, `the stream that reads got the last event (${last})`);
    assert.ok(read > batches * 400_000, `it read ${read} bytes`);
  } finally {
    stalled.destroy();
    streams.close();
    await reader.cancel().catch(() => undefined);
    await reading.catch(() => undefined);
    await app.close();
    await events.close();
  }
});
