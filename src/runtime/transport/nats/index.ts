import { natsConnection, natsServerCommand, serversOf } from '../../../registry/servers.ts';
import type { Msg } from 'nats';
import {
  MicroError,
  badGateway,
  badRequest,
  parseError,
  serviceUnavailable,
  timeout as timeoutError,
} from '../../errors.ts';
import { Kind, encodeFrame, type Frame } from '../frame.ts';
import { QueuePipe } from '../pipe.ts';
import { connectionLimits } from '../limits.ts';
import type { Listener, Message, Pipe, Reply, Transport, TransportOptions } from '../transport.ts';
import { TransportErrors } from '../transport.ts';
import { serveNats } from './listen.ts';
import { Batcher, Deframer, Link, Outbox, noResponders, payload } from './wire.ts';

/** Options of the NATS transport. */
export interface NatsTransportOptions extends TransportOptions {
  /** `host:port` of a NATS server, as `--transport-address` gives it; joins `addresses`. */
  address?: string;
  addresses?: string[];
  /** Nodes listen on `<prefix>.<unique id>`; `micro.node` by default. */
  prefix?: string;
}

const ID = 'micro.client';
/** How long a batch's call ids are kept for a "no responders" answer: one to two of these. */
const RECORD_MS = 1000;
/** A node's outbox unused for this many housekeeping ticks is dropped. */
const IDLE_TICKS = 30;

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: MicroError) => void;
  timer: NodeJS.Timeout | undefined;
  /** The node's outbox; its subject is the node's address. */
  box: Outbox;
  /** Set by the heartbeat; a call still pending at the next beat gets a liveness ping. */
  aged: boolean;
  /** When the ping now out was sent (0: none out); unanswered for a beat, the node is unreachable. */
  pinged: number;
}

interface Stream {
  pipe: QueuePipe;
  box: Outbox;
  /** Settles the open once the node answers the ping sent with it, or anything else. */
  opened: { resolve: () => void; reject: (e: MicroError) => void } | undefined;
  /** As for calls: when the ping now out was sent; anything from the node answers it. */
  pinged: number;
}

/** The calls and streams one batch carried, failed with 503 if NATS says no one listens. */
interface Carried {
  subject: string;
  ids: number[];
}

interface Box extends Outbox {
  idle: number;
}

/**
 * Calls and streams over NATS, so that a node needs no open port: it listens on a subject of its
 * own. The frames of the framed protocol (docs/protocol.md) travel as NATS payloads, those for one
 * node in one event-loop turn in one message; answers come back on one inbox subscription per
 * transport. One connection per transport, opened on first use.
 */
export function createNatsTransport(options: NatsTransportOptions = {}): Transport {
  const hosts = serversOf(options, '127.0.0.1:4222');
  const where = `NATS at ${hosts.join(',')}`;
  const hint = `start nats-server (${natsServerCommand(hosts)}) or set --transport-address / MICRO_TRANSPORT_ADDRESS`;
  const prefix = options.prefix ?? 'micro.node';
  const dialTimeout = options.dialTimeout ?? 5000;
  // Liveness pings of open streams and long calls, every `keepalive` ms; 0 turns them off.
  const heartbeat = options.keepalive ?? 1000;
  const pending = new Map<number, Pending>();
  const streams = new Map<number, Stream>();
  const boxes = new Map<string, Box>();
  let recent = new Map<number, Carried>();
  let older = new Map<number, Carried>();
  let rotated = Date.now();
  let link: Link | undefined;
  let linking: Promise<Link> | undefined;
  let out: Batcher | undefined;
  /** `_INBOX.<nuid>.`: batches go out with reply `<inbox><n>`, nodes answer on `<inbox>0`. */
  let inbox = '';
  let seq = 0;
  let online = false;
  let nextId = 1;
  let listeners = 0;
  let closing = false;
  let ticker: NodeJS.Timeout | undefined;

  const lost = (err: MicroError): void => {
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    pending.clear();
    for (const s of [...streams.values()]) {
      if (s.opened) s.opened.reject(err);
      else s.pipe.remoteFail(err);
    }
    streams.clear();
  };

  // Each batch gets its own reply subject, so that a "no responders" status names the calls it
  // carried. The record is kept for one to two seconds; a later status is caught by the pings.
  const replyFor = (box: Outbox): string => {
    const n = ++seq;
    if (box.ids.length > 0) {
      recent.set(n, { subject: box.subject, ids: box.ids });
      box.ids = [];
    }
    return inbox + n;
  };

  const connect = (): Promise<Link> =>
    (linking ??= (async () => {
      // nats loads in about 100 ms: on first use, not at import.
      const nats = await import('nats');
      const nc = await nats.connect(natsConnection(hosts, dialTimeout, 'micro'));
      const l = new Link(nats, nc);
      inbox = `${nats.createInbox()}.`;
      out = new Batcher(l, replyFor);
      boxes.clear();
      nc.subscribe(`${inbox}*`, { callback: (err, msg) => err || onInbox(msg) });
      await nc.flush();
      void (async () => {
        for await (const s of nc.status()) {
          if (s.type === nats.Events.Disconnect) {
            online = false;
            lost(badGateway(ID, `connection to ${where} lost`));
          } else if (s.type === nats.Events.Reconnect) online = true;
        }
      })();
      void nc.closed().then(() => {
        if (link === l) {
          link = undefined;
          linking = undefined;
          online = false;
          clearInterval(ticker);
        }
        lost(badGateway(ID, `connection to ${where} closed`));
      });
      ticker = setInterval(tick, heartbeat > 0 ? heartbeat / 2 : 1000);
      ticker.unref();
      online = true;
      link = l;
      return l;
    })().catch((err: Error & { code?: string }) => {
      linking = undefined;
      throw serviceUnavailable(
        ID,
        `${TransportErrors.connect}: cannot reach ${where} (${err.code ?? err.message}); ${hint}`,
      );
    }));

  const ready = async (): Promise<Link> => {
    closing = false;
    const l = link ?? (await connect());
    if (!online)
      throw serviceUnavailable(ID, `${TransportErrors.lost}: ${where} is unreachable; ${hint}`);
    return l;
  };

  const id = (): number => {
    const n = nextId;
    nextId = n >= 0xfffffffe ? 1 : n + 1;
    return n;
  };

  const boxFor = (subject: string): Box => {
    let b = boxes.get(subject);
    if (!b) {
      b = Object.assign(new Outbox(subject), { idle: 0 });
      boxes.set(subject, b);
    } else b.idle = 0;
    return b;
  };

  /** Queues a frame for a node; a publish fails only once the connection is closed (see `lost`). */
  const send = (box: Outbox, frame: Buffer, n = 0): void => {
    try {
      out?.write(box, frame, n);
    } catch {
      // connection closed
    }
  };

  // Liveness: a node that is gone makes NATS answer "no responders" to the ping's batch (503); one
  // that lost the call or stream answers an error. A node cut off from NATS by the network (or
  // frozen) answers nothing, and nats-server takes minutes to notice: a ping unanswered for a beat
  // fails its call or stream with 502, which callers retry on another node.
  const tick = (): void => {
    const now = Date.now();
    if (now - rotated >= RECORD_MS) {
      older = recent;
      recent = new Map();
      rotated = now;
    }
    for (const [k, b] of boxes) if (!b.queued && ++b.idle > IDLE_TICKS) boxes.delete(k);
    deframer.sweep(30_000);
    if (heartbeat <= 0 || !online) return;
    // Ticks come every half beat: a call is pinged once pending one or two ticks, and given up when
    // its ping is a beat old, so a silent node is noticed 1.5 to 2.5 beats after the call.
    for (const [n, p] of pending) {
      if (!p.aged) p.aged = true;
      else if (p.pinged === 0) {
        p.pinged = now;
        send(p.box, encodeFrame(Kind.ping, n, undefined), n);
      } else if (now - p.pinged >= heartbeat) fail(n, unreachable(p.box.subject));
    }
    for (const [n, s] of streams) {
      if (s.opened) continue;
      if (s.pinged === 0) {
        s.pinged = now;
        send(s.box, encodeFrame(Kind.ping, n, undefined), n);
      } else if (now - s.pinged >= heartbeat) {
        send(s.box, encodeFrame(Kind.cancel, n, undefined));
        fail(n, unreachable(s.box.subject));
      }
    }
  };

  const unreachable = (subject: string): MicroError =>
    badGateway(
      ID,
      `${TransportErrors.lost}: no answer to a ping from ${subject} at ${where} within ${heartbeat} ms (the node is unreachable)`,
    );

  const gone = (subject: string): MicroError =>
    serviceUnavailable(ID, `no node listens on ${subject} at ${where}: it is gone`);

  const onInbox = (msg: Msg): void => {
    if (msg.data.length === 0) {
      if (noResponders(msg)) onNoResponders(Number(msg.subject.slice(inbox.length)));
      return;
    }
    const from = msg.reply ?? '';
    try {
      deframer.push(from, from, payload(msg));
    } catch {
      // A malformed message from a node: its frames are lost, their calls time out.
    }
  };

  const onNoResponders = (n: number): void => {
    const c = recent.get(n) ?? older.get(n);
    if (!c) return;
    recent.delete(n);
    older.delete(n);
    for (const i of c.ids) fail(i, gone(c.subject));
  };

  /** Fails a call or stream with the error, whichever it is. */
  const fail = (n: number, err: MicroError): void => {
    const p = pending.get(n);
    if (p) {
      pending.delete(n);
      clearTimeout(p.timer);
      p.reject(err);
      return;
    }
    const s = streams.get(n);
    if (s?.opened) s.opened.reject(err);
    else s?.pipe.remoteFail(err);
  };

  // Frames from nodes; `from` is the message's reply subject, `<node subject>.<n>`.
  const onFrame = (f: Frame, from: string): void => {
    const n = f.id;
    if (f.kind === Kind.pong) {
      const p = pending.get(n);
      if (p) {
        p.pinged = 0;
        return;
      }
    }
    if (f.kind === Kind.reply || f.kind === Kind.error) {
      const p = pending.get(n);
      if (p) {
        pending.delete(n);
        clearTimeout(p.timer);
        if (f.kind === Kind.reply) p.resolve({ header: f.header, body: f.body });
        else p.resolve({ header: f.header, body: f.body, error: true });
        return;
      }
      if (n === 0 && f.kind === Kind.error) return broken(from, f.body);
    }
    const s = streams.get(n);
    if (!s) {
      // A node pinging a stream this side forgot: tell it to stop.
      if (f.kind === Kind.ping && !pending.has(n) && from)
        send(boxFor(nodeOf(from)), encodeFrame(Kind.cancel, n, undefined));
      return;
    }
    s.pinged = 0;
    if (s.opened && f.kind !== Kind.ping && f.kind !== Kind.error) {
      s.opened.resolve();
      s.opened = undefined;
    }
    switch (f.kind) {
      case Kind.data:
        s.pipe.deliver(f.body);
        return;
      case Kind.end:
        s.pipe.remoteEnd();
        return;
      case Kind.error: {
        const e = parseError(f.body.toString('utf8'), ID);
        if (s.opened) s.opened.reject(e);
        else s.pipe.remoteFail(e);
        return;
      }
    }
  };
  const deframer = new Deframer<string>(onFrame);

  // A node that could not read this side's frames dropped all its calls and streams.
  const broken = (from: string, body: Buffer): void => {
    const subject = nodeOf(from);
    const e = badGateway(
      ID,
      `${subject} refused a message: ${parseError(body.toString(), ID).detail}`,
    );
    for (const [n, p] of pending) if (p.box.subject === subject) fail(n, e);
    for (const [n, s] of streams) if (s.box.subject === subject) fail(n, e);
  };

  const callOn = (address: string, request: Message, timeout: number): Promise<Reply> => {
    const n = id();
    let frame: Buffer;
    try {
      frame = encodeFrame(Kind.request, n, request.header, request.body);
    } catch (err) {
      return Promise.reject(badRequest(ID, `cannot send to ${address}: ${(err as Error).message}`));
    }
    const box = boxFor(address);
    return new Promise<Reply>((resolve, reject) => {
      const p: Pending = {
        resolve,
        reject,
        timer: undefined,
        box,
        aged: false,
        pinged: 0,
      };
      try {
        out?.write(box, frame, n);
      } catch (err) {
        reject(badGateway(ID, `cannot send to ${address} at ${where}: ${(err as Error).message}`));
        return;
      }
      pending.set(n, p);
      if (timeout > 0 && Number.isFinite(timeout)) {
        p.timer = setTimeout(() => {
          if (!pending.delete(n)) return;
          // Tells the node, so that the handler's context is cancelled.
          send(box, encodeFrame(Kind.cancel, n, undefined));
          reject(
            timeoutError(
              ID,
              `call to ${request.header['micro-service'] ?? '?'} ${request.header['micro-endpoint'] ?? '?'} at ${address} timed out after ${timeout} ms`,
            ),
          );
        }, timeout);
      }
    });
  };

  const closeLink = async (): Promise<void> => {
    const l = link ?? (await linking?.catch(() => undefined));
    link = undefined;
    linking = undefined;
    online = false;
    clearInterval(ticker);
    out?.flush();
    if (l && !l.nc.isClosed()) {
      await l.nc.flush().catch(() => undefined);
      await l.nc.close();
    }
  };

  return {
    name: 'nats',
    async listen(_address, handler, listenOptions): Promise<Listener> {
      // There is no socket: the node's address is its subject, whatever host:port was asked for.
      const l = await ready();
      listeners++;
      const limits = connectionLimits(listenOptions?.limits);
      return serveNats(l, handler, prefix, heartbeat, limits, () => {
        listeners--;
        if (listeners === 0 && closing) void closeLink();
      });
    },
    call(address, request, timeout) {
      if (link && online && !closing) return callOn(address, request, timeout);
      return ready().then(() => callOn(address, request, timeout));
    },
    async stream(address, open): Promise<Pipe> {
      await ready();
      const n = id();
      let frame: Buffer;
      try {
        frame = encodeFrame(Kind.open, n, open.header, open.body);
      } catch (err) {
        throw badRequest(ID, `cannot send to ${address}: ${(err as Error).message}`);
      }
      const box = boxFor(address);
      const s: Stream = {
        box,
        opened: undefined,
        pinged: 0,
        pipe: new QueuePipe({
          send: (b) => send(box, encodeFrame(Kind.data, n, undefined, b)),
          end: () => send(box, encodeFrame(Kind.end, n, undefined)),
          fail: (err) =>
            send(box, encodeFrame(Kind.error, n, undefined, Buffer.from(JSON.stringify(err)))),
          release: () => streams.delete(n),
        }),
      };
      streams.set(n, s);
      let timer: NodeJS.Timeout | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          s.opened = { resolve, reject };
          timer = setTimeout(
            () =>
              reject(
                serviceUnavailable(
                  ID,
                  `no answer from ${address} at ${where} within ${dialTimeout} ms`,
                ),
              ),
            dialTimeout,
          );
          // The ping's pong (or the stream's first frame) says a node serves the stream.
          try {
            out?.write(box, frame, n);
            out?.write(box, encodeFrame(Kind.ping, n, undefined), n);
          } catch (err) {
            reject(
              badGateway(ID, `cannot send to ${address} at ${where}: ${(err as Error).message}`),
            );
          }
        });
      } catch (err) {
        s.opened = undefined;
        streams.delete(n);
        send(box, encodeFrame(Kind.cancel, n, undefined));
        throw err;
      } finally {
        clearTimeout(timer);
      }
      return s.pipe;
    },
    async close() {
      closing = true;
      const closed = badGateway(ID, 'transport closed');
      for (const s of [...streams.values()]) s.pipe.fail(closed);
      lost(closed);
      if (listeners === 0) await closeLink();
    },
  };
}

/** The node subject in the reply subject `<node subject>.<n>` of a node's message. */
function nodeOf(from: string): string {
  return from.slice(0, from.lastIndexOf('.'));
}
