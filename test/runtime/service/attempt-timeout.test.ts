// A target policy's attemptTimeout (Dapr's per-attempt timeout) over real TCP: an attempt that
// hangs is given up and retried while the call has time, so a call whose first attempt hangs is
// answered by the next; with no retries left the caller gets the attempt's error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createClient,
  createMemoryRegistry,
  createTcpTransport,
  MicroError,
  type Client,
  type Service,
} from '../../../src/runtime/index.ts';
import { quietService } from '../../helpers/fixtures.ts';

describe("a target's attemptTimeout", () => {
  const registry = createMemoryRegistry();
  let service: Service;
  let client: Client;
  let calls = 0;
  /** Calls that hang (until released at the end) before the others answer at once. */
  let hanging = 0;
  const release: (() => void)[] = [];

  before(async () => {
    service = quietService({ name: 'hang', registry, address: '127.0.0.1:0' });
    service.handle('Hang', {
      async Call() {
        calls++;
        if (hanging > 0) {
          hanging--;
          await new Promise<void>((r) => release.push(r));
        }
        return { ok: true };
      },
    });
    await service.start();
    client = createClient({
      registry,
      transport: createTcpTransport(),
      policy: { targets: { hang: { attemptTimeout: 150, retries: 2 } } },
    });
  });
  after(async () => {
    for (const r of release) r();
    await client.close();
    await service.stop();
    await registry.close();
  });

  it('gives up a hung attempt and answers from the next one', async () => {
    calls = 0;
    hanging = 1;
    assert.deepEqual(await client.call('hang', 'Hang.Call', {}), { ok: true });
    assert.equal(calls, 2);
  });

  it("fails with the attempt's error when every attempt hangs", async () => {
    calls = 0;
    hanging = 3;
    await assert.rejects(client.call('hang', 'Hang.Call', {}), (e: MicroError) => {
      assert.ok(e.code === 504 || e.code === 408, `${e.code} ${e.detail}`);
      assert.match(e.detail, /150 ms|timed out/, e.detail);
      return true;
    });
    assert.equal(calls, 3);
  });

  it("leaves a call's own timeout in charge when it gives one", async () => {
    calls = 0;
    hanging = 1;
    await assert.rejects(
      client.call('hang', 'Hang.Call', {}, { timeout: 100 }),
      (e: MicroError) => {
        assert.equal(e.code, 408);
        return true;
      },
    );
    assert.equal(calls, 1);
  });
});
