import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHttpBroker } from '../../../src/runtime/broker/http.ts';
import { createMemoryRegistry } from '../../../src/registry/memory.ts';
import { forbidden, type MicroError } from '../../../src/runtime/errors.ts';
import { runBrokerCases } from '../../conformance/broker.case.ts';

// Three brokers, each with its own HTTP listener on 127.0.0.1, finding one another through one registry.
runBrokerCases('http', () => {
  const registry = createMemoryRegistry();
  return [
    createHttpBroker({ registry }),
    createHttpBroker({ registry }),
    createHttpBroker({ registry }),
  ];
});

describe('http broker refusals', () => {
  it("answers a subscriber's refusal (401/403) in the error shape, tells the publisher, and keeps serving", async () => {
    const registry = createMemoryRegistry();
    const [sub, pub] = [createHttpBroker({ registry }), createHttpBroker({ registry })];
    const got: string[] = [];
    try {
      await sub.subscribe('guarded', async (e) => {
        if (e.message.header.authorization !== 'Bearer ok')
          throw forbidden('greeter', 'account ann may not topic guarded publish');
        got.push(Buffer.from(e.message.body).toString());
      });
      const message = (auth?: string) => ({
        header: { 'content-type': 'application/json', ...(auth && { authorization: auth }) },
        body: Buffer.from('{"n":1}'),
      });
      await assert.rejects(pub.publish('guarded', message()), (e: MicroError) => {
        assert.equal(e.code, 403);
        assert.match(e.detail, /may not topic guarded publish/);
        return true;
      });
      // Straight at the subscriber's listener, as anyone on the machine could.
      const [node] = (await registry.getService('topic:guarded'))[0]!.nodes;
      const res = await fetch(`http://${node!.address}/_sub?id=${node!.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'micro-topic': 'guarded' },
        body: '{"x":1}',
      });
      assert.equal(res.status, 403);
      assert.deepEqual(Object.keys((await res.json()) as object).sort(), [
        'code',
        'detail',
        'id',
        'status',
      ]);
      await pub.publish('guarded', message('Bearer ok'));
      assert.deepEqual(got, ['{"n":1}'], 'the subscriber still serves');
    } finally {
      await pub.disconnect();
      await sub.disconnect();
    }
  });
});
