import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MicroError } from '../../../src/runtime/errors.ts';
import { CallTable, type Call, type Inbound } from '../../../src/runtime/transport/calls.ts';
import { Kind, type Frame } from '../../../src/runtime/transport/frame.ts';
import { createMemoryTransport, createTcpTransport } from '../../../src/runtime/transport/index.ts';
import {
  TransportError,
  TransportErrors,
  type Message,
  type Reply,
} from '../../../src/runtime/transport/transport.ts';

const request: Message = {
  header: { 'micro-service': 'greeter', 'micro-endpoint': 'Say.Hello' },
  body: Buffer.alloc(0),
};

const frame = (kind: number, id: number, body = ''): Frame => ({
  kind,
  id,
  header: { 'x-k': 'v' },
  body: Buffer.from(body),
  size: 0,
});

/** A call whose settlement the test can await. */
function pending(): { call: Call; settled: Promise<Reply> } {
  let call!: Call;
  const settled = new Promise<Reply>((resolve, reject) => {
    call = { resolve, reject, timer: undefined };
  });
  return { call, settled };
}

/** A stream that records what the table fed it. */
class Recorder implements Inbound {
  readonly got: string[] = [];
  deliver(body: Uint8Array): void {
    this.got.push(`data ${Buffer.from(body).toString()}`);
  }
  remoteEnd(): void {
    this.got.push('end');
  }
  remoteFail(err: MicroError): void {
    this.got.push(`fail ${err.code} ${err.detail}`);
  }
}

describe('the call table', () => {
  it('numbers calls and streams from 1, one id space for both', () => {
    const table = new CallTable();
    assert.deepEqual([table.id(), table.id(), table.id()], [1, 2, 3]);
  });

  it('settles a call with its reply, and an error frame as an error reply', async () => {
    const table = new CallTable();
    const a = pending();
    const b = pending();
    table.add(1, a.call, 0, request, 'here');
    table.add(2, b.call, 0, request, 'here');
    assert.equal(table.dispatch(frame(Kind.reply, 1, 'ok')), true);
    assert.equal(table.dispatch(frame(Kind.error, 2, '{}')), true);
    const ra = await a.settled;
    const rb = await b.settled;
    assert.equal(Buffer.from(ra.body).toString(), 'ok');
    assert.equal(ra.header['x-k'], 'v');
    assert.equal(ra.error, undefined);
    assert.equal(rb.error, true);
    assert.equal(table.empty, true);
    assert.equal(
      table.dispatch(frame(Kind.reply, 1, 'late')),
      false,
      'a settled call takes no second reply',
    );
  });

  it('fails a call past its deadline with 408 and tells the transport, once', async () => {
    const expired: number[] = [];
    const table = new CallTable({ expired: (id) => expired.push(id) });
    const a = pending();
    table.add(7, a.call, 20, request, '127.0.0.1:1');
    await assert.rejects(a.settled, (e: MicroError) => {
      assert.ok(e instanceof TransportError);
      assert.equal(e.code, 408);
      assert.equal(e.reason, TransportErrors.timeout);
      assert.match(e.detail, /call to greeter Say\.Hello at 127\.0\.0\.1:1 timed out after 20 ms/);
      return true;
    });
    assert.deepEqual(expired, [7]);
    assert.equal(table.dispatch(frame(Kind.reply, 7)), false, 'the late reply is dropped');
  });

  it('keeps no deadline for a call without a timeout', () => {
    const table = new CallTable();
    const a = pending();
    for (const t of [0, -1, Number.POSITIVE_INFINITY, Number.NaN]) {
      table.add(1, a.call, t, request, 'here');
      assert.equal(a.call.timer, undefined, `timeout ${t}`);
    }
  });

  it('says when it goes from empty to busy and back', async () => {
    const seen: string[] = [];
    const table = new CallTable({ busy: () => seen.push('busy'), idle: () => seen.push('idle') });
    const a = pending();
    const b = pending();
    table.add(1, a.call, 0, request, 'here');
    table.add(2, b.call, 1000, request, 'here');
    table.addStream(3, new Recorder());
    table.dispatch(frame(Kind.reply, 1));
    table.fail(2, new MicroError('t', 502, 'gone'));
    await assert.rejects(b.settled, /gone/);
    assert.deepEqual(seen, ['busy']);
    assert.equal(table.removeStream(3), true);
    assert.equal(table.removeStream(3), false);
    assert.deepEqual(seen, ['busy', 'idle']);
    await a.settled;
  });

  it('feeds a stream its data, end and error frames, and nothing else', () => {
    const table = new CallTable();
    const s = new Recorder();
    table.addStream(4, s);
    assert.equal(table.dispatch(frame(Kind.data, 4, 'a')), true);
    assert.equal(table.dispatch(frame(Kind.ping, 4)), false);
    assert.equal(table.dispatch(frame(Kind.end, 4)), true);
    const err = JSON.stringify({ id: 'x', code: 409, detail: 'taken', status: 'Conflict' });
    assert.equal(table.dispatch(frame(Kind.error, 4, err)), true);
    assert.equal(table.dispatch(frame(Kind.data, 5, 'b')), false, 'no stream 5');
    assert.deepEqual(s.got, ['data a', 'end', 'fail 409 taken']);
  });

  it('fails every call and stream when the connection is lost, and takes no late reply', async () => {
    const expired: number[] = [];
    const table = new CallTable({ expired: (id) => expired.push(id) });
    const calls = [pending(), pending()];
    calls.forEach((c, i) => table.add(i + 1, c.call, 30, request, 'here'));
    const s = new Recorder();
    table.addStream(3, s);
    const lost = new TransportError(TransportErrors.lost, 502, 'connection to here closed');
    table.failAll(lost);
    for (const c of calls) await assert.rejects(c.settled, (e) => e === lost);
    assert.deepEqual(s.got, ['fail 502 connection to here closed']);
    assert.equal(table.empty, true);
    assert.equal(table.dispatch(frame(Kind.reply, 1)), false);
    assert.deepEqual(expired, []);
  });
});

describe("the transport's own failures", () => {
  it('fail the calls in flight with MICRO_ERR_TRANSPORT_CLOSED when the transport closes', async () => {
    const server = createTcpTransport();
    const listener = await server.listen('127.0.0.1:0', {
      call: () => new Promise<Reply>(() => undefined),
      stream: (_open, pipe) => pipe.end(),
    });
    const client = createTcpTransport();
    try {
      const call = client.call(listener.address, request, 10_000);
      await client.close();
      await assert.rejects(call, (e: MicroError) => {
        assert.ok(e instanceof TransportError, e.name);
        assert.equal(e.code, 502);
        assert.equal(e.reason, TransportErrors.closed);
        return true;
      });
    } finally {
      await listener.close();
    }
  });

  it("refuse an address in use with Node's EADDRINUSE code, on the memory transport too", async () => {
    const transport = createMemoryTransport();
    const handler = { call: () => new Promise<Reply>(() => undefined), stream: () => undefined };
    await transport.listen('127.0.0.1:7', handler);
    await assert.rejects(transport.listen('127.0.0.1:7', handler), { code: 'EADDRINUSE' });
  });
});
