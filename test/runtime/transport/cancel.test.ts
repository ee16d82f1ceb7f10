// A call aborted by its caller (a hedge that lost) rejects with 499 at once, and the node's handler
// sees its context cancelled (the transport contract checks the same at the transport's level).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createHttpTransport,
  createMemoryRegistry,
  createMemoryTransport,
  createTcpTransport,
  type Context,
  type Service,
  type Transport,
} from '../../../src/runtime/index.ts';
import { closeAll, quietService } from '../../helpers/fixtures.ts';

describe('aborting a call in flight', { timeout: 30_000 }, () => {
  const registry = createMemoryRegistry();
  const memory = createMemoryTransport();
  let tcpSvc: Service;
  let memSvc: Service;
  /** Resolves the next time a handler's context is cancelled. */
  let cancelled: () => void = () => undefined;
  /** Called when a handler starts. */
  let started: () => void = () => undefined;
  const serve = (s: Service): Service => {
    s.handle('Wait', {
      Forever: (_req: unknown, ctx: Context) =>
        new Promise((resolve) => {
          started();
          ctx.signal.addEventListener('abort', () => {
            cancelled();
            resolve({});
          });
        }),
    });
    return s;
  };
  const request = {
    header: {
      'micro-service': 'waiter',
      'micro-endpoint': 'Wait.Forever',
      'content-type': 'application/json',
    },
    body: Buffer.from('{}'),
  };
  const tcp = createTcpTransport();
  const http = createHttpTransport();

  before(async () => {
    tcpSvc = serve(quietService({ name: 'waiter', registry, address: '127.0.0.1:0' }));
    memSvc = serve(quietService({ name: 'waiter', registry, transport: memory, address: 'mem:0' }));
    await tcpSvc.start();
    await memSvc.start();
  });
  after(() => closeAll(tcp, http, tcpSvc, memSvc, registry));

  for (const [label, transport, address] of [
    ['tcp', () => tcp, () => tcpSvc.server.address],
    ['memory', () => memory, () => memSvc.server.address],
    ['http', () => http, () => tcpSvc.server.address],
  ] as [string, () => Transport, () => string][]) {
    it(`rejects with 499 and tells the node (${label})`, async () => {
      const seen = new Promise<void>((resolve) => (cancelled = resolve));
      const abort = new AbortController();
      // Abort once the handler runs (the node has the call), not before.
      started = () => abort.abort();
      const call = transport().call(address(), request, 10_000, abort.signal);
      await assert.rejects(call, (err: { code: number }) => err.code === 499);
      await seen;
    });
  }

  it('rejects at once when the signal was aborted before the call (tcp)', async () => {
    await assert.rejects(
      tcp.call(tcpSvc.server.address, request, 10_000, AbortSignal.abort()),
      (err: { code: number }) => err.code === 499,
    );
  });
});
