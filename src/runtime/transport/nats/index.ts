import type { Msg } from 'nats';
import {
  MicroError,
  badGateway,
  badRequest,
  parseError,
  serviceUnavailable,
  timeout as timeoutError,
} from '../../errors.ts';
import { QueuePipe } from '../pipe.ts';
import type {
  Header,
  Listener,
  Message,
  Pipe,
  Reply,
  Transport,
  TransportOptions,
} from '../transport.ts';
import { TransportErrors } from '../transport.ts';
import { serveNats } from './listen.ts';
import {
  Assembly,
  ERROR,
  FRAME,
  Frame,
  LENGTH,
  Link,
  body,
  hasHeaders,
  noResponders,
  readHeader,
} from './wire.ts';

/** Options of the NATS transport. */
export interface NatsTransportOptions extends TransportOptions {
  /** `host:port` of a NATS server, as `--transport-address` gives it; joins `addresses`. */
  address?: string;
  addresses?: string[];
  /** Nodes listen on `<prefix>.<unique id>`; `micro.node` by default. */
  prefix?: string;
}

const ID = 'micro.client';

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: MicroError) => void;
  timer: NodeJS.Timeout | undefined;
  /** The node's subject. */
  subject: string;
  /** Set by the heartbeat; a call still pending at the next beat gets a liveness ping. */
  aged: boolean;
  part: Assembly | undefined;
}

interface Stream {
  pipe: QueuePipe;
  subject: string;
  /** Settles the open once the node acknowledges it. */
  opened: { resolve: () => void; reject: (e: MicroError) => void } | undefined;
  part: Assembly | undefined;
}

/**
 * Calls and streams over NATS request/reply, so that a node needs no open port: it listens on a
 * subject of its own, and callers answer to one wildcard inbox per transport (no subscription per
 * call). One connection per transport, opened on first use; see docs/protocol.md for the subjects.
 */
export function createNatsTransport(options: NatsTransportOptions = {}): Transport {
  const hosts = [...(options.address ? [options.address] : []), ...(options.addresses ?? [])];
  if (hosts.length === 0) hosts.push('127.0.0.1:4222');
  const where = `NATS at ${hosts.join(',')}`;
  const hint =
    'start nats-server (nats-server -a 127.0.0.1 -p 4222) or set --transport-address / MICRO_TRANSPORT_ADDRESS';
  const prefix = options.prefix ?? 'micro.node';
  const dialTimeout = options.dialTimeout ?? 5000;
  // Liveness pings of open streams and long calls, every `keepalive` ms; 0 turns them off.
  const heartbeat = options.keepalive ?? 1000;
  const pending = new Map<number, Pending>();
  const streams = new Map<number, Stream>();
  let link: Link | undefined;
  let linking: Promise<Link> | undefined;
  let inbox = '';
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

  const connect = (): Promise<Link> =>
    (linking ??= (async () => {
      // nats loads in about 100 ms: on first use, not at import.
      const nats = await import('nats');
      const nc = await nats.connect({ servers: hosts, timeout: dialTimeout, name: 'micro' });
      const l = new Link(nats, nc);
      inbox = `${nats.createInbox()}.`;
      nc.subscribe(`${inbox}*`, { callback: (err, msg) => err || onInbox(l, msg) });
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
      if (heartbeat > 0) {
        ticker = setInterval(() => beat(l), heartbeat);
        ticker.unref();
      }
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

  // Liveness: a node that is gone makes NATS answer "no responders" (503); one that lost the call
  // or stream answers an error. Calls are pinged once they have been pending for a whole beat.
  const beat = (l: Link): void => {
    if (!online) return;
    for (const [n, p] of pending) {
      if (p.aged) sendQuietly(() => l.signal(p.subject, inbox + n, Frame.ping));
      else p.aged = true;
    }
    for (const [n, s] of streams) sendQuietly(() => l.signal(s.subject, inbox + n, Frame.ping));
  };

  const gone = (subject: string): MicroError =>
    serviceUnavailable(ID, `no node listens on ${subject} at ${where}: it is gone`);

  const onInbox = (l: Link, msg: Msg): void => {
    const n = Number(msg.subject.slice(inbox.length));
    const p = pending.get(n);
    if (p) return onReply(n, p, msg);
    const s = streams.get(n);
    if (s) return onStream(s, msg);
    // A node pinging a stream this side forgot: tell it to stop.
    const back = msg.reply;
    if (back && readHeader(msg)[FRAME] === Frame.ping)
      sendQuietly(() => l.signal(back, '', Frame.cancel));
  };

  const onReply = (n: number, p: Pending, msg: Msg): void => {
    let header: Header = {};
    let data: Buffer;
    if (hasHeaders(msg)) {
      if (noResponders(msg)) {
        pending.delete(n);
        clearTimeout(p.timer);
        p.reject(gone(p.subject));
        return;
      }
      header = readHeader(msg);
      if (header[FRAME] === Frame.more) {
        const whole = p.part?.add(msg.data);
        if (!whole || !p.part) return;
        header = p.part.header;
        data = whole;
      } else if (header[LENGTH] !== undefined) {
        p.part = new Assembly(header, msg.data);
        return;
      } else data = body(msg);
    } else data = body(msg);
    pending.delete(n);
    clearTimeout(p.timer);
    if (header[ERROR] !== undefined || header[FRAME] === Frame.error) {
      delete header[ERROR];
      delete header[FRAME];
      p.resolve({ header, body: data, error: true });
    } else p.resolve({ header, body: data });
  };

  const onStream = (s: Stream, msg: Msg): void => {
    if (!hasHeaders(msg)) return s.pipe.deliver(body(msg));
    if (noResponders(msg)) {
      if (s.opened) s.opened.reject(gone(s.subject));
      else s.pipe.remoteFail(gone(s.subject));
      return;
    }
    const header = readHeader(msg);
    switch (header[FRAME]) {
      case undefined:
        if (header[LENGTH] !== undefined) s.part = new Assembly(header, msg.data);
        else s.pipe.deliver(body(msg));
        return;
      case Frame.more: {
        const whole = s.part?.add(msg.data);
        if (whole) s.pipe.deliver(whole);
        return;
      }
      case Frame.open:
        s.opened?.resolve();
        s.opened = undefined;
        return;
      case Frame.end:
        s.pipe.remoteEnd();
        return;
      case Frame.error: {
        const e = parseError(body(msg).toString('utf8'), ID);
        if (s.opened) s.opened.reject(e);
        else s.pipe.remoteFail(e);
        return;
      }
    }
  };

  const sendError = (err: unknown, subject: string): MicroError => {
    const e = err as Error & { code?: string };
    return e.code === 'BAD_HEADER'
      ? badRequest(ID, `cannot send to ${subject}: ${e.message}`)
      : badGateway(ID, `cannot send to ${subject} at ${where}: ${e.message}`);
  };

  const callOn = (l: Link, address: string, request: Message, timeout: number): Promise<Reply> =>
    new Promise<Reply>((resolve, reject) => {
      const n = id();
      const reply = inbox + n;
      const p: Pending = {
        resolve,
        reject,
        timer: undefined,
        subject: address,
        aged: false,
        part: undefined,
      };
      try {
        l.send(address, reply, request.body, request.header);
      } catch (err) {
        reject(sendError(err, address));
        return;
      }
      pending.set(n, p);
      if (timeout > 0 && Number.isFinite(timeout)) {
        p.timer = setTimeout(() => {
          if (!pending.delete(n)) return;
          // Tells the node, so that the handler's context is cancelled.
          sendQuietly(() => l.signal(address, reply, Frame.cancel));
          reject(
            timeoutError(
              ID,
              `call to ${request.header['micro-service'] ?? '?'} ${request.header['micro-endpoint'] ?? '?'} at ${address} timed out after ${timeout} ms`,
            ),
          );
        }, timeout);
      }
    });

  const closeLink = async (): Promise<void> => {
    const l = link ?? (await linking?.catch(() => undefined));
    link = undefined;
    linking = undefined;
    online = false;
    clearInterval(ticker);
    if (l && !l.nc.isClosed()) {
      await l.nc.flush().catch(() => undefined);
      await l.nc.close();
    }
  };

  return {
    name: 'nats',
    async listen(_address, handler): Promise<Listener> {
      // There is no socket: the node's address is its subject, whatever host:port was asked for.
      const l = await ready();
      listeners++;
      return serveNats(l, handler, prefix, heartbeat, () => {
        listeners--;
        if (listeners === 0 && closing) void closeLink();
      });
    },
    call(address, request, timeout) {
      if (link && online && !closing) return callOn(link, address, request, timeout);
      return ready().then((l) => callOn(l, address, request, timeout));
    },
    async stream(address, open): Promise<Pipe> {
      const l = await ready();
      const n = id();
      const reply = inbox + n;
      const s: Stream = {
        subject: address,
        opened: undefined,
        part: undefined,
        pipe: new QueuePipe({
          send: (b) => sendQuietly(() => l.send(address, reply, b, undefined, Frame.data)),
          end: () => sendQuietly(() => l.signal(address, reply, Frame.end)),
          fail: (err) =>
            sendQuietly(() =>
              l.send(address, reply, Buffer.from(JSON.stringify(err)), undefined, Frame.error),
            ),
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
          try {
            l.send(address, reply, open.body, open.header, Frame.open);
          } catch (err) {
            reject(sendError(err, address));
          }
        });
      } catch (err) {
        streams.delete(n);
        sendQuietly(() => l.signal(address, reply, Frame.cancel));
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

// A publish fails only once the connection is closed; the caller hears of that through `lost`.
function sendQuietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // connection closed
  }
}
