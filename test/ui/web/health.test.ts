// The dashboard's health probe over many nodes: a bounded number at a time, every row answered.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../../../src/runtime/index.ts';
import { HEALTH_CONCURRENCY, checkHealth } from '../../../src/ui/web/health.ts';
import { record } from '../../helpers/fixtures.ts';

describe("the dashboard's health probe", () => {
  it('probes 10,000 nodes at most HEALTH_CONCURRENCY at once, each row in the order given', async () => {
    let open = 0;
    let most = 0;
    // A client whose Debug.Health answers after a turn of the event loop, failing for odd nodes.
    const client = {
      async call(_service: string, _endpoint: string, _body: unknown, o: { node: { id: string } }) {
        open++;
        most = Math.max(most, open);
        await new Promise((r) => setImmediate(r));
        open--;
        if (Number(o.node.id.split('-')[1]) % 2) throw new Error('connection refused');
        return { status: 'ok' };
      },
    } as unknown as Client;
    const versions = Array.from({ length: 1000 }, (_, s) =>
      record(`svc-${s}`, {
        nodes: Array.from({ length: 10 }, (_, n) => ({
          id: `n-${s * 10 + n}`,
          address: '127.0.0.1:9',
          metadata: {},
        })),
      }),
    );
    const rows = await checkHealth(client, versions, 1000);
    assert.equal(rows.length, 10_000);
    assert.equal(most, HEALTH_CONCURRENCY, 'never more at once than the bound');
    assert.deepEqual(
      rows.slice(0, 3).map((r) => [r.node, r.status]),
      [
        ['n-0', 'ok'],
        ['n-1', 'failed'],
        ['n-2', 'ok'],
      ],
    );
    assert.equal(rows.filter((r) => r.status === 'ok').length, 5000);
    assert.deepEqual(await checkHealth(client, [], 1000), [], 'no nodes, no probes');
  });
});
