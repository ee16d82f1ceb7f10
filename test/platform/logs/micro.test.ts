import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LogSource } from '../../../src/platform/logs/logs.ts';
import type { Client } from '../../../src/runtime/client/client.ts';
import type { MicroError } from '../../../src/runtime/errors.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { createMicroLogs } from '../../../src/platform/logs/client.ts';
import { createClient } from '../../../src/runtime/client/rpc-client.ts';
import { runLogsCases } from '../../conformance/logs.case.ts';
import { startTestControlPlane, type TestControlPlane } from '../../helpers/control-plane.ts';

runLogsCases('micro (a real control plane)', async () => {
  const cp = await startTestControlPlane('micro-logs-', { env: { MICRO_LOG_KEEP: '50' } });
  const client = createClient({ registry: createMicroRegistry({ address: cp.address }) });
  const logs = createMicroLogs({ client });
  return {
    logs,
    keep: 50,
    async stop() {
      await logs.close();
      await client.close();
      await cp.stop();
    },
  };
});

describe('the logs service, called as any client would', () => {
  let cp: TestControlPlane;
  let client: Client;
  before(async () => {
    cp = await startTestControlPlane('micro-logs-raw-');
    client = createClient({ registry: createMicroRegistry({ address: cp.address }) });
  });
  after(async () => {
    await client.close();
    await cp.stop();
  });
  const rejects400 = (body: unknown, endpoint: string, field: RegExp) =>
    assert.rejects(client.call('logs', endpoint, body), (err: MicroError) => {
      assert.equal(err.code, 400, String(err));
      assert.match(err.detail, field);
      return true;
    });
  const record = { time: Date.now(), service: 'raw', level: 'info', msg: 'x' };

  it('answers hostile requests with a 400 naming the field, storing nothing', async () => {
    await rejects400(
      { records: [{ ...record, msg: 'x'.repeat(16 * 1024 + 1) }] },
      'Log.Write',
      /msg/,
    );
    await rejects400(
      { records: Array.from({ length: 1001 }, () => record) },
      'Log.Write',
      /records/,
    );
    await rejects400({ records: [record], more: 1 }, 'Log.Write', /more/);
    await rejects400({ records: [{ ...record, level: 'loud' }] }, 'Log.Write', /level/);
    await rejects400({ level: 'loud' }, 'Log.Read', /level/);
    await rejects400({ trace: 'x' }, 'Log.Read', /trace/);
    assert.deepEqual(await client.call('logs', 'Log.Read', { service: 'raw' }), { records: [] });
    await client.call('logs', 'Log.Write', { records: [record] });
    assert.deepEqual(
      (await client.call<{ sources: LogSource[] }>('logs', 'Log.Sources', {})).sources,
      [{ service: 'raw', lines: 1, last: record.time }],
    );
  });
});
