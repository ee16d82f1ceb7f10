// A call's AbortSignal (CallOptions.signal): aborting cancels the attempt on the wire, so the
// handler's context is cancelled, makes no retry, and fails the call at once with a 499.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createClient,
  createHttpTransport,
  createMemoryRegistry,
  createTcpTransport,
  MicroError,
  type Client,
  type Context,
  type Service,
} from '../../../src/runtime/index.ts';
import { closeAll, quietService } from '../../helpers/fixtures.ts';

describe('a call given a signal', { timeout: 60_000 }, () => {
  const registry = createMemoryRegistry();
  let svc: Service;
  let tcp: Client;
  let http: Client;
  let started = 0;
  /** Resolves with the reason each handler's context was cancelled for. */
  const cancelled: ((reason: unknown) => void)[] = [];
  let entered: (() => void) | undefined;

  before(async () => {
    svc = quietService({ name: 'slow', registry });
    svc.handle('Slow', {
      async Wait(_req: unknown, ctx: Context) {
        started++;
        const signal = ctx.signal;
        entered?.();
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 30_000);
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            cancelled.shift()?.(signal.reason);
            resolve();
          });
        });
        return { done: true };
      },
    });
    await svc.start();
    tcp = createClient({ registry, transport: createTcpTransport() });
    http = createClient({ registry, transport: createHttpTransport() });
  });
  after(() => closeAll(tcp, http, svc, registry));

  for (const [label, client] of [
    ['framed', () => tcp],
    ['http', () => http],
  ] as const) {
    it(`fails with a 499 once aborted, cancels the handler and retries nothing (${label})`, async () => {
      const before = started;
      const controller = new AbortController();
      const inHandler = new Promise<void>((r) => (entered = r));
      const seenByHandler = new Promise<unknown>((r) => cancelled.push(r));
      const call = client().call(
        'slow',
        'Slow.Wait',
        {},
        { signal: controller.signal, retries: 2 },
      );
      await inHandler;
      controller.abort();
      await assert.rejects(call, (e: MicroError) => {
        assert.equal(e.code, 499, e.detail);
        return true;
      });
      // The framed transport sends a cancel frame; HTTP closes the request: either way the handler knows.
      await seenByHandler;
      assert.equal(started - before, 1, 'no retry after the abort');
    });
  }

  it('fails at once, calling nothing, when the signal was aborted before the call', async () => {
    const before = started;
    const e = await tcp
      .call('slow', 'Slow.Wait', {}, { signal: AbortSignal.abort() })
      .catch((err: unknown) => err as MicroError);
    assert.ok(e instanceof MicroError);
    assert.equal(e.code, 499);
    assert.equal(started, before);
  });
});
