// A platform service with MICRO_LOG_COLLECT=on and MICRO_LOG_TOPIC ships its logger's lines to a
// real control plane: found by Log.Read, and published on the topic as records.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroEvents } from '../../../src/platform/events/client.ts';
import type { LogRecord } from '../../../src/platform/logs/logs.ts';
import { createService, type PlatformService } from '../../../src/platform/service.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import { startTestControlPlane, type TestControlPlane } from '../../helpers/control-plane.ts';

describe('shipping a service logger lines', () => {
  let plane: TestControlPlane;
  let service: PlatformService;
  const saved = { ...process.env };
  before(async () => {
    plane = await startTestControlPlane('micro-ship-');
    Object.assign(process.env, {
      MICRO_LOG_COLLECT: 'on',
      MICRO_LOG_TOPIC: 'logs.shipper',
      MICRO_LOG_LEVEL: 'warn',
    });
    service = createService({
      name: 'shipper',
      registry: createMicroRegistry({ address: plane.address }),
    });
    await service.start();
  });
  after(async () => {
    process.env = saved;
    await service.stop();
    await service.registry.close();
    await plane.stop();
  });

  it('sends lines to the logs service and publishes them on the topic', async () => {
    service.logger.warn({ order: 7 }, 'shipped line');
    let found: LogRecord[] = [];
    for (let i = 0; i < 100 && found.length === 0; i++) {
      ({ records: found } = await service.client.call<{ records: LogRecord[] }>(
        'logs',
        'Log.Read',
        {
          service: 'shipper',
          grep: 'shipped',
        },
      ));
      if (found.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(found.length, 1);
    assert.equal(found[0]!.level, 'warn');
    assert.equal(found[0]!.node, service.server.id);
    assert.deepEqual(found[0]!.fields, { order: 7 });

    const events = createMicroEvents({ address: plane.address });
    try {
      const page = await events.read('logs.shipper', {});
      const records = page.events.map((e) => e.data as LogRecord);
      assert.ok(records.some((r) => r.msg === 'shipped line' && r.service === 'shipper'));
    } finally {
      await events.close();
    }
  });
});
