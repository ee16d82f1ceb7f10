import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { createGateway, type Gateway } from '../../src/proxy/index.ts';
import { startNode, stopAll } from '../helpers/proc.ts';
import { controlPlane } from './fixtures.ts';

const node = fileURLToPath(new URL('./fixtures/greeter-node.ts', import.meta.url));

describe('the API gateway when a node dies', () => {
  let plane: Awaited<ReturnType<typeof controlPlane>> | undefined;
  let gateway: Gateway | undefined;
  after(async () => {
    await gateway?.close();
    await stopAll();
    await plane?.stop();
  });

  it('loses no request when one of two greeter nodes is SIGKILLed under load', async () => {
    plane = await controlPlane();
    const env = {
      MICRO_REGISTRY: 'micro',
      MICRO_REGISTRY_ADDRESS: plane.cp.address,
      MICRO_SERVER_ADDRESS: '127.0.0.1:0',
    };
    const [a, b] = [startNode(node, [], env), startNode(node, [], env)];
    await Promise.all([a.waitFor(/listening on/), b.waitFor(/listening on/)]);
    gateway = await createGateway({ registry: plane.registry, address: '127.0.0.1:0', log: false });
    const pool = new Pool(`http://${gateway.address}`, { connections: 16 });

    // Bounded: 2,000 requests or 30 s, whichever comes first; node a dies after the 300th.
    const total = 2000;
    const deadline = Date.now() + 30_000;
    const failures: string[] = [];
    const before = new Set<number>();
    const afterKill = new Set<number>();
    let started = 0;
    let done = 0;
    let killed: Promise<unknown> | undefined;
    const worker = async (): Promise<void> => {
      while (started < total && Date.now() < deadline) {
        started++;
        const res = await pool.request({
          method: 'POST',
          path: '/greeter/say/hello',
          headers: { 'content-type': 'application/json' },
          body: '{"name":"load"}',
        });
        const text = await res.body.text();
        if (res.statusCode !== 200) failures.push(`${res.statusCode} ${text}`);
        else (killed ? afterKill : before).add((JSON.parse(text) as { pid: number }).pid);
        if (++done === 300) killed = a.stop('SIGKILL');
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    await pool.close();
    await killed;

    assert.equal(done, total, 'every request was answered within the time bound');
    assert.deepEqual(failures, []);
    assert.deepEqual(
      [...before].sort(),
      [a.proc.pid, b.proc.pid].sort(),
      'both nodes served before the kill',
    );
    assert.ok(afterKill.has(b.proc.pid ?? -1), 'the survivor served after it');
  });
});
