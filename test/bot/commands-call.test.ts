// The bot's call and stream against a real greeter (Say.Hello, and server streams that end, go on,
// or fail): the response as JSON, bad JSON a 400, a stream's first messages with a note.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STREAM_MAX } from '../../src/bot/commands/call.ts';
import {
  createClient,
  createMemoryRegistry,
  serverStream,
  type Service,
} from '../../src/runtime/index.ts';
import { closeAll, greeterService, streamHandlers } from '../helpers/fixtures.ts';
import { partsOf, run, textOf } from './command-context.ts';

describe('the bot’s call and stream', () => {
  const registry = createMemoryRegistry();
  const client = createClient({ registry });
  const t = { registry, client };
  let greeter: Service;

  before(async () => {
    greeter = greeterService(registry);
    greeter.handle('Stream', {
      Count: streamHandlers().Count,
      // Two messages, then a failure.
      Broken: serverStream(async function* () {
        yield { i: 0 };
        yield { i: 1 };
        throw new Error('the disk is full');
      }),
      // One message, then nothing until cancelled.
      Slow: serverStream(async function* (_req: unknown, ctx) {
        yield { i: 0 };
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      }),
    });
    await greeter.start();
  });
  after(() => closeAll(greeter, client, registry));

  it('call: the response as JSON; query is the same command', async () => {
    const request = '{"name": "Ann Lee"}';
    const answer = await run(t, `call greeter Say.Hello ${request}`, [
      'greeter',
      'Say.Hello',
      request,
    ]);
    assert.deepEqual(answer, [{ kind: 'json', value: { msg: 'Hello Ann Lee' } }]);
    const again = await run(t, 'query greeter Say.Hello {"name":"Bo"}');
    assert.deepEqual(partsOf(again, 'json')[0]?.value, { msg: 'Hello Bo' });
  });

  it('call: a request that is not JSON is a 400 saying so, before any call', async () => {
    await assert.rejects(run(t, 'call greeter Say.Hello {"name": Ann}'), (err) => {
      const e = err as { code: number; id: string; detail: string };
      assert.equal(e.code, 400);
      assert.equal(e.id, 'micro.bot');
      assert.match(e.detail, /^the request is not valid JSON \(.+\): \{"name": Ann\}; write it as/);
      return true;
    });
    await assert.rejects(run(t, 'call greeter'), {
      code: 400,
      detail: 'name a service and an endpoint: write call <service> <endpoint> [json]',
    });
  });

  it("call: the service's error as it came (a failed validation, a missing endpoint or service)", async () => {
    await assert.rejects(run(t, 'call greeter Say.Hello {}'), (err) => {
      assert.equal((err as { code: number }).code, 400);
      return true;
    });
    await assert.rejects(run(t, 'call greeter Say.Nothing'), { code: 404 });
    await assert.rejects(run(t, 'call nobody Say.Hello'), { code: 404 });
  });

  it('call: a cancelled command ends with a 499', async () => {
    const stop = new AbortController();
    stop.abort();
    await assert.rejects(
      run({ ...t, signal: stop.signal }, 'call greeter Say.Hello {"name":"A"}'),
      {
        code: 499,
      },
    );
  });

  it('stream: every message of a stream that ends, then a note', async () => {
    const answer = await run(t, 'stream greeter Stream.Count {"n":3}');
    assert.deepEqual(answer, [
      { kind: 'json', value: [{ i: 0 }, { i: 1 }, { i: 2 }] },
      { kind: 'text', text: 'the stream ended after 3 messages' },
    ]);
  });

  it(`stream: the first ${STREAM_MAX} messages of a longer one`, async () => {
    const answer = await run(t, 'stream greeter Stream.Count {"n":1000}');
    const [messages] = partsOf(answer, 'json');
    assert.equal((messages?.value as unknown[]).length, STREAM_MAX);
    assert.equal(
      textOf(answer),
      `the first ${STREAM_MAX} messages; the stream goes on (micro stream greeter Stream.Count shows every one)`,
    );
  });

  it('stream: what came before a failure, then the error', async () => {
    const answer = await run(t, 'stream greeter Stream.Broken');
    assert.deepEqual(partsOf(answer, 'json')[0]?.value, [{ i: 0 }, { i: 1 }]);
    assert.equal(textOf(answer), '2 messages, then the stream failed:');
    const [error] = partsOf(answer, 'error');
    assert.equal(error?.error.code, 500);
  });

  it('stream: a stream that goes quiet is read for a few seconds, then closed', async () => {
    const answer = await run(t, 'stream greeter Stream.Slow');
    assert.deepEqual(partsOf(answer, 'json')[0]?.value, [{ i: 0 }]);
    assert.match(textOf(answer), /^1 message in \d+ s; the stream goes on/);
  });
});
