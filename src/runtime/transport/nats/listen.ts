import type { Msg } from 'nats';
import {
  MicroError,
  badGateway,
  parseError,
  serviceUnavailable,
  toMicroError,
} from '../../errors.ts';
import { QueuePipe } from '../pipe.ts';
import type { CallInfo, Header, Listener, Reply, TransportHandler } from '../transport.ts';
import { Assembly, ERROR, FRAME, Frame, LENGTH, body, noResponders, readHeader } from './wire.ts';
import type { Link } from './wire.ts';

const ID = 'micro.transport';

interface ServerStream {
  pipe: QueuePipe;
  /** Names this stream in the node's ping replies, `<node subject>.<n>`. */
  n: number;
}

/**
 * Serves a node on its own subject `<prefix>.<nuid>`. Every message there is keyed by its reply
 * subject, the caller's inbox for that call or stream; `micro-frame` says what it is (none: a
 * request). Each open stream is pinged every `heartbeat` ms (0: never) so that a caller that
 * vanished is seen.
 */
export async function serveNats(
  link: Link,
  handler: TransportHandler,
  prefix: string,
  heartbeat: number,
  onClose: () => void,
): Promise<Listener> {
  const nc = link.nc;
  const subject = `${prefix}.${link.nats.nuid.next()}`;
  const calls = new Map<string, CallInfo>();
  const streams = new Map<string, ServerStream>();
  const numbered = new Map<number, string>();
  const parts = new Map<string, Assembly>();
  let seq = 0;
  let closed = false;

  // A publish fails only once the connection is closed, when there is no one left to tell.
  const quietly = (fn: () => void): void => {
    try {
      fn();
    } catch {
      // connection closed
    }
  };
  const errorBody = (err: MicroError): Buffer => Buffer.from(JSON.stringify(err));

  const reply = (r: string, rep: Reply): void => {
    if (!calls.delete(r)) return; // cancelled
    try {
      const header = rep.error
        ? { ...rep.header, [ERROR]: String(parseError(Buffer.from(rep.body).toString(), ID).code) }
        : rep.header;
      link.send(r, '', rep.body, header);
    } catch (err) {
      // A reply NATS cannot carry (a header value with a line break) becomes an error instead.
      const e = badGateway(ID, `the reply could not be sent: ${(err as Error).message}`);
      quietly(() => link.send(r, '', errorBody(e), { [ERROR]: '502' }));
    }
  };

  const open = (r: string, header: Header, data: Buffer): void => {
    const n = ++seq;
    const pipe = new QueuePipe({
      send: (b) => quietly(() => link.send(r, '', b)),
      end: () => quietly(() => link.signal(r, '', Frame.end)),
      fail: (err) => quietly(() => link.send(r, '', errorBody(err), undefined, Frame.error)),
      release: () => {
        streams.delete(r);
        numbered.delete(n);
      },
    });
    streams.set(r, { pipe, n });
    numbered.set(n, r);
    // The acknowledgement goes out before anything the handler sends, on the same subject.
    quietly(() => link.signal(r, '', Frame.open));
    handler.stream({ header, body: data }, pipe, { remote: r, protocol: 'nats' });
  };

  const handle = (r: string, header: Header, data: Buffer): void => {
    const kind = header[FRAME];
    if (kind === undefined) {
      const info: CallInfo = { remote: r, protocol: 'nats' };
      calls.set(r, info);
      handler.call({ header, body: data }, info).then(
        (rep) => reply(r, rep),
        (err: unknown) =>
          reply(r, { header: {}, body: errorBody(toMicroError(err, ID)), error: true }),
      );
      return;
    }
    switch (kind) {
      case Frame.open:
        delete header[FRAME];
        open(r, header, data);
        return;
      case Frame.data:
        streams.get(r)?.pipe.deliver(data);
        return;
      case Frame.end:
        streams.get(r)?.pipe.remoteEnd();
        return;
      case Frame.error:
        streams.get(r)?.pipe.remoteFail(parseError(data.toString('utf8'), ID));
        return;
      case Frame.cancel: {
        const info = calls.get(r);
        if (info) {
          calls.delete(r);
          info.onCancel?.();
        }
        streams
          .get(r)
          ?.pipe.remoteFail(
            new MicroError(ID, 499, 'stream cancelled by the caller', 'Client Closed Request'),
          );
        parts.delete(r);
        return;
      }
      case Frame.ping:
        // The caller checks that its call or stream is alive; a lost one gets an error.
        if (!calls.has(r) && !streams.has(r) && !parts.has(r)) {
          const e = badGateway(ID, `${subject} has no call or stream for ${r}: it was lost`);
          quietly(() => link.send(r, '', errorBody(e), { [ERROR]: '502' }, Frame.error));
        }
        return;
    }
  };

  const sub = nc.subscribe(subject, {
    callback: (err, msg: Msg) => {
      const r = msg.reply;
      if (err || !r) return;
      const header = readHeader(msg);
      if (header[FRAME] === Frame.more) {
        const a = parts.get(r);
        if (!a) return;
        let whole: Buffer | undefined;
        try {
          whole = a.add(msg.data);
        } catch {
          parts.delete(r);
          return;
        }
        if (whole) {
          parts.delete(r);
          handle(r, a.header, whole);
        }
      } else if (header[LENGTH] !== undefined) {
        try {
          parts.set(r, new Assembly(header, msg.data));
        } catch (e) {
          const bad = new MicroError(ID, 413, `message refused: ${(e as Error).message}`);
          quietly(() => link.send(r, '', errorBody(bad), { [ERROR]: '413' }, Frame.error));
        }
      } else handle(r, header, body(msg));
    },
  });
  // Answers to this node's pings of its streams' callers, on `<subject>.<n>`.
  const pings = nc.subscribe(`${subject}.*`, {
    callback: (err, msg: Msg) => {
      if (err) return;
      const r = numbered.get(Number(msg.subject.slice(subject.length + 1)));
      if (r === undefined) return;
      if (noResponders(msg) || readHeader(msg)[FRAME] === Frame.cancel)
        streams.get(r)?.pipe.remoteFail(badGateway(ID, `the caller at ${r} is gone`));
    },
  });
  const ticker =
    heartbeat > 0
      ? setInterval(() => {
          for (const [r, s] of streams)
            quietly(() => link.signal(r, `${subject}.${s.n}`, Frame.ping));
        }, heartbeat).unref()
      : undefined;
  // The server knows of the subscriptions before callers are told the subject.
  await nc.flush();

  return {
    address: subject,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(ticker);
      quietly(() => sub.unsubscribe());
      quietly(() => pings.unsubscribe());
      const gone = serviceUnavailable(ID, `node ${subject} closed; try another node`);
      for (const s of [...streams.values()]) s.pipe.fail(gone);
      parts.clear();
      if (!nc.isClosed()) await nc.flush().catch(() => undefined);
      onClose();
    },
  };
}
