import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { MicroError } from '../../../src/runtime/errors.ts';
import {
  TransportError,
  TransportErrors,
  createTcpTransport,
} from '../../../src/runtime/transport/index.ts';
import type { AddressInfo } from 'node:net';

const request = {
  header: { 'micro-service': 'slow', 'micro-endpoint': 'Slow.Call' },
  body: Buffer.from('{}'),
};

/** A peer that accepts connections and then never sends a byte: what a cut-off host looks like. */
async function silentPeer(): Promise<{ address: string; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, server, sockets };
}

describe('tcp transport: keepalive probes', () => {
  const closers: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });

  it('gives up a connection whose peer stopped answering, long before the call deadline', async () => {
    const peer = await silentPeer();
    closers.push(() => {
      for (const s of peer.sockets) s.destroy();
      peer.server.close();
    });
    const transport = createTcpTransport({ keepalive: 200 });
    closers.push(() => transport.close());
    const started = Date.now();
    const err = await transport.call(peer.address, request, 30_000).then(
      () => assert.fail('a silent peer cannot answer'),
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    assert.ok(err instanceof MicroError);
    assert.equal(err.code, 502, 'a lost connection is a 502, which callers retry on another node');
    assert.match(err.detail, /no answer to a ping/);
    assert.ok(err instanceof TransportError && err.reason === TransportErrors.lost, err.name);
    assert.ok(took < 10_000, `noticed after ${took} ms, not at the 30 s deadline`);
  });

  it('keeps a connection whose peer answers pings, however long the call takes', async () => {
    const transport = createTcpTransport({ keepalive: 100 });
    closers.push(() => transport.close());
    const listener = await transport.listen('127.0.0.1:0', {
      call: () =>
        new Promise((resolve) =>
          setTimeout(() => resolve({ header: {}, body: Buffer.from('"done"') }), 1200),
        ),
      stream: (_open, pipe) => pipe.end(),
    });
    closers.push(() => listener.close());
    const reply = await transport.call(listener.address, request, 10_000);
    assert.equal(Buffer.from(reply.body).toString(), '"done"');
  });
});
