import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { MicroError } from '../../src/runtime/errors.ts';
import {
  TransportError,
  TransportErrors,
  type CallInfo,
  type ListenOptions,
  type Listener,
  type Message,
  type Pipe,
  type Reply,
  type Transport,
  type TransportHandler,
} from '../../src/runtime/transport/transport.ts';
import { freePort } from '../helpers/net.ts';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** A handler that answers by the endpoint header: echo, fail, hang, count, echo-stream. */
function testHandler(seen: EventEmitter): TransportHandler {
  return {
    async call(req: Message, info: CallInfo): Promise<Reply> {
      switch (req.header['micro-endpoint']) {
        case 'echo':
          return {
            header: { 'content-type': 'text/plain', 'x-echo': req.header['x-in'] ?? '' },
            body: req.body,
          };
        case 'fail':
          return {
            header: {},
            body: Buffer.from(
              JSON.stringify({ id: 't', code: 409, detail: 'taken', status: 'Conflict' }),
            ),
            error: true,
          };
        case 'hang':
          return new Promise<Reply>((resolve) => {
            info.onCancel = () => {
              seen.emit('cancel');
              resolve({ header: {}, body: Buffer.alloc(0) });
            };
            seen.emit('hang');
          });
        default:
          return {
            header: {},
            body: Buffer.from(
              JSON.stringify({ id: 't', code: 404, detail: 'no', status: 'Not Found' }),
            ),
            error: true,
          };
      }
    },
    stream(open: Message, pipe: Pipe): void {
      void (async () => {
        if (open.header['micro-endpoint'] === 'count') {
          for await (const first of pipe) {
            const n = Number(text(first));
            for (let i = 0; i < n; i++) pipe.send(Buffer.from(String(i)));
            break;
          }
          pipe.end();
        } else if (open.header['micro-endpoint'] === 'echo') {
          for await (const m of pipe) pipe.send(m);
          pipe.end();
        } else {
          try {
            for await (const _ of pipe) void _;
          } catch {
            seen.emit('cancel');
          }
        }
      })();
    },
  };
}

/** The transport contract: every implementation runs these cases. */
export function runTransportCases(
  label: string,
  make: () => Transport,
  listenOptions: () => ListenOptions = () => ({}),
): void {
  describe(`transport contract: ${label}`, () => {
    const seen = new EventEmitter();
    let transport: Transport;
    let listener: Listener;
    before(async () => {
      transport = make();
      listener = await transport.listen('127.0.0.1:0', testHandler(seen), listenOptions());
    });
    after(async () => {
      await transport.close();
      await listener.close();
    });
    const msg = (endpoint: string, body = '', header: Record<string, string> = {}): Message => ({
      header: { 'micro-service': 't', 'micro-endpoint': endpoint, ...header },
      body: Buffer.from(body),
    });

    it('carries a call and its reply, header and body', async () => {
      const reply = await transport.call(
        listener.address,
        msg('echo', 'héllo', { 'x-in': 'meta' }),
        2000,
      );
      assert.equal(reply.error, undefined);
      assert.equal(text(reply.body), 'héllo');
      assert.equal(reply.header['x-echo'], 'meta');
    });

    it('keeps 300 concurrent calls apart', async () => {
      const replies = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          transport.call(listener.address, msg('echo', `n${i}`), 5000),
        ),
      );
      replies.forEach((r, i) => assert.equal(text(r.body), `n${i}`));
    });

    it('carries a 4 MiB body intact', async () => {
      const big = Buffer.alloc(4 * 1024 * 1024, 'x');
      big.write('end', big.length - 3);
      const reply = await transport.call(
        listener.address,
        { header: msg('echo').header, body: big },
        10_000,
      );
      assert.equal(reply.body.length, big.length);
      assert.equal(text(reply.body.subarray(-3)), 'end');
    });

    it('marks an error reply and carries the error JSON', async () => {
      const reply = await transport.call(listener.address, msg('fail'), 2000);
      assert.equal(reply.error, true);
      assert.equal((JSON.parse(text(reply.body)) as { code: number }).code, 409);
    });

    it('times out with 408 and tells the server the caller gave up', async () => {
      const cancelled = once(seen, 'cancel', { signal: AbortSignal.timeout(2000) });
      const started = Date.now();
      await assert.rejects(transport.call(listener.address, msg('hang'), 150), (e: MicroError) => {
        assert.equal(e.code, 408);
        // The transport's own failure, told apart by its stable code, not its text.
        assert.ok(e instanceof TransportError, `${e.name} is not a TransportError`);
        assert.equal(e.reason, TransportErrors.timeout);
        return true;
      });
      const took = Date.now() - started;
      assert.ok(took >= 140 && took < 1500, `took ${took} ms`);
      await cancelled;
    });

    it('rejects with 499 when the caller aborts, and tells the server', async () => {
      const cancelled = once(seen, 'cancel', { signal: AbortSignal.timeout(5000) });
      const hanging = once(seen, 'hang', { signal: AbortSignal.timeout(5000) });
      const abort = new AbortController();
      const call = transport.call(listener.address, msg('hang'), 10_000, abort.signal);
      await hanging;
      abort.abort();
      await assert.rejects(call, (e: MicroError) => e.code === 499);
      await cancelled;
    });

    it('fails with 503 when nothing listens at the address', async () => {
      const port = await freePort();
      await assert.rejects(
        transport.call(`127.0.0.1:${port}`, msg('echo'), 2000),
        (e: MicroError) => {
          assert.equal(e.code, 503);
          assert.match(e.detail, new RegExp(String(port)));
          assert.ok(e instanceof TransportError, `${e.name} is not a TransportError`);
          assert.equal(e.reason, TransportErrors.connect);
          return true;
        },
      );
    });

    it('streams 1,000 messages from the server, complete and in order', async () => {
      const pipe = await transport.stream(listener.address, msg('count'));
      pipe.send(Buffer.from('1000'));
      pipe.end();
      const got: number[] = [];
      for await (const m of pipe) got.push(Number(text(m)));
      assert.equal(got.length, 1000);
      assert.deepEqual(
        got,
        Array.from({ length: 1000 }, (_, i) => i),
      );
    });

    it('echoes a bidirectional stream message by message', async () => {
      const pipe = await transport.stream(listener.address, msg('echo'));
      const it = pipe[Symbol.asyncIterator]();
      for (const word of ['one', 'two', 'three']) {
        pipe.send(Buffer.from(word));
        const r = await it.next();
        assert.equal(text(r.value as Uint8Array), word);
      }
      pipe.end();
      assert.equal((await it.next()).done, true);
    });

    it('lets the caller abandon a stream, and the server sees it', async () => {
      const cancelled = once(seen, 'cancel', { signal: AbortSignal.timeout(2000) });
      const pipe = await transport.stream(listener.address, msg('sink'));
      pipe.send(Buffer.from('x'));
      pipe.fail({
        id: 'c',
        code: 499,
        detail: 'bye',
        status: 'Client Closed Request',
      } as MicroError);
      await cancelled;
    });
  });
}
