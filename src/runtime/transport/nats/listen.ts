import type { Msg } from 'nats';
import {
  MicroError,
  badGateway,
  badRequest,
  parseError,
  serviceUnavailable,
  toMicroError,
} from '../../errors.ts';
import { Kind, encodeFrame, type Frame } from '../frame.ts';
import { QueuePipe } from '../pipe.ts';
import type { CallInfo, Listener, Reply, TransportHandler } from '../transport.ts';
import { Batcher, Deframer, Outbox, noResponders, payload } from './wire.ts';
import type { Link } from './wire.ts';

const ID = 'micro.transport';
/** A caller with nothing in flight, silent this long, is forgotten. */
const IDLE_MS = 30_000;

/** One caller (a client transport), known by its inbox. */
interface Peer {
  /** The caller's inbox `_INBOX.<nuid>`; its messages come with reply `<inbox>.<n>`. */
  inbox: string;
  /** Frames to the caller, sent to `<inbox>.0` with reply `<node subject>.<no>`. */
  box: Outbox;
  no: number;
  calls: Map<number, CallInfo>;
  streams: Map<number, QueuePipe>;
  seen: number;
}

/**
 * Serves a node on its own subject `<prefix>.<nuid>`. Every message there is a batch of frames from
 * one caller, known by its reply subject; the answers to a caller are batched likewise, with a reply
 * subject naming the caller, so that NATS's "no responders" tells when it is gone. Each open stream
 * is pinged every `heartbeat` ms (0: never) so that a caller that vanished is seen.
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
  const peers = new Map<string, Peer>();
  const numbered = new Map<number, Peer>();
  const out = new Batcher(link, (box) => box.reply);
  let nextPeer = 0;
  let closed = false;

  // A publish fails only once the connection is closed, when there is no one left to tell.
  const write = (peer: Peer, frame: Buffer): void => {
    try {
      out.write(peer.box, frame);
    } catch {
      // connection closed
    }
  };
  const errorFrame = (n: number, err: MicroError): Buffer =>
    encodeFrame(Kind.error, n, undefined, Buffer.from(JSON.stringify(err)));

  const peerOf = (inbox: string): Peer => {
    let peer = peers.get(inbox);
    if (peer) return peer;
    const no = ++nextPeer;
    const box = new Outbox(`${inbox}.0`);
    box.reply = `${subject}.${no}`;
    peer = { inbox, box, no, calls: new Map(), streams: new Map(), seen: 0 };
    peers.set(inbox, peer);
    numbered.set(no, peer);
    return peer;
  };

  /** Forgets a caller: its calls are cancelled, its streams fail with err. */
  const drop = (peer: Peer, err: MicroError): void => {
    peers.delete(peer.inbox);
    numbered.delete(peer.no);
    deframer.forget(peer.inbox);
    for (const info of peer.calls.values()) info.onCancel?.();
    peer.calls.clear();
    for (const pipe of [...peer.streams.values()]) pipe.remoteFail(err);
    peer.streams.clear();
  };

  const reply = (peer: Peer, n: number, rep: Reply): void => {
    if (!peer.calls.delete(n)) return; // cancelled, or the caller is gone
    let frame: Buffer;
    try {
      frame = encodeFrame(rep.error ? Kind.error : Kind.reply, n, rep.header, rep.body);
    } catch (err) {
      // A reply too large for a frame becomes an error reply instead of taking the process down.
      frame = errorFrame(
        n,
        badGateway(ID, `the reply could not be sent: ${(err as Error).message}`),
      );
    }
    write(peer, frame);
  };

  const open = (peer: Peer, f: Frame): void => {
    const n = f.id;
    const pipe = new QueuePipe({
      send: (b) => write(peer, encodeFrame(Kind.data, n, undefined, b)),
      end: () => write(peer, encodeFrame(Kind.end, n, undefined)),
      fail: (err) => write(peer, errorFrame(n, err)),
      release: () => peer.streams.delete(n),
    });
    peer.streams.set(n, pipe);
    try {
      handler.stream({ header: f.header, body: f.body }, pipe, {
        remote: peer.inbox,
        protocol: 'nats',
      });
    } catch (err) {
      pipe.fail(toMicroError(err, ID));
    }
  };

  const onFrame = (f: Frame, peer: Peer): void => {
    const n = f.id;
    switch (f.kind) {
      case Kind.request: {
        const info: CallInfo = { remote: peer.inbox, protocol: 'nats' };
        peer.calls.set(n, info);
        const failed = (err: unknown): void =>
          reply(peer, n, {
            header: {},
            body: Buffer.from(JSON.stringify(toMicroError(err, ID))),
            error: true,
          });
        try {
          handler
            .call({ header: f.header, body: f.body }, info)
            .then((rep) => reply(peer, n, rep), failed);
        } catch (err) {
          // A handler that throws at once must not end the other frames of the message.
          failed(err);
        }
        return;
      }
      case Kind.open:
        open(peer, f);
        return;
      case Kind.data:
        peer.streams.get(n)?.deliver(f.body);
        return;
      case Kind.end:
        peer.streams.get(n)?.remoteEnd();
        return;
      case Kind.error:
        peer.streams.get(n)?.remoteFail(parseError(f.body.toString('utf8'), ID));
        return;
      case Kind.cancel: {
        const info = peer.calls.get(n);
        if (info) {
          peer.calls.delete(n);
          info.onCancel?.();
        }
        peer.streams
          .get(n)
          ?.remoteFail(
            new MicroError(ID, 499, 'stream cancelled by the caller', 'Client Closed Request'),
          );
        return;
      }
      case Kind.ping:
        // The caller checks that its call or stream is alive; a lost one gets an error.
        if (n === 0 || peer.calls.has(n) || peer.streams.has(n))
          write(peer, encodeFrame(Kind.pong, n, undefined));
        else
          write(
            peer,
            errorFrame(n, badGateway(ID, `${subject} has no call or stream ${n}: it was lost`)),
          );
        return;
    }
  };
  const deframer = new Deframer<Peer>(onFrame);

  const sub = nc.subscribe(subject, {
    callback: (err, msg: Msg) => {
      const r = msg.reply;
      if (err || !r) return;
      const inbox = r.slice(0, r.lastIndexOf('.'));
      const peer = peerOf(inbox);
      peer.seen = Date.now();
      try {
        deframer.push(inbox, peer, payload(msg));
      } catch (e) {
        // As a framed connection that breaks the framing: one error with id 0, and all is dropped.
        write(peer, errorFrame(0, badRequest(ID, `malformed frame: ${(e as Error).message}`)));
        drop(peer, badGateway(ID, `the caller at ${inbox} sent a malformed frame`));
      }
    },
  });
  // "No responders" to this node's messages to a caller, on `<subject>.<no>`: the caller is gone.
  const statuses = nc.subscribe(`${subject}.*`, {
    callback: (err, msg: Msg) => {
      if (err || !noResponders(msg)) return;
      const peer = numbered.get(Number(msg.subject.slice(subject.length + 1)));
      if (peer) drop(peer, badGateway(ID, `the caller at ${peer.inbox} is gone`));
    },
  });
  const ticker = setInterval(
    () => {
      const now = Date.now();
      for (const peer of peers.values()) {
        if (heartbeat > 0)
          for (const n of peer.streams.keys()) write(peer, encodeFrame(Kind.ping, n, undefined));
        if (peer.calls.size === 0 && peer.streams.size === 0 && now - peer.seen > IDLE_MS) {
          peers.delete(peer.inbox);
          numbered.delete(peer.no);
        }
      }
      deframer.sweep(IDLE_MS);
    },
    heartbeat > 0 ? heartbeat : 1000,
  ).unref();
  // The server knows of the subscriptions before callers are told the subject.
  await nc.flush();

  return {
    address: subject,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(ticker);
      for (const s of [sub, statuses]) {
        try {
          s.unsubscribe();
        } catch {
          // connection closed
        }
      }
      const gone = serviceUnavailable(ID, `node ${subject} closed; try another node`);
      for (const peer of peers.values())
        for (const pipe of [...peer.streams.values()]) pipe.fail(gone);
      out.flush();
      if (!nc.isClosed()) await nc.flush().catch(() => undefined);
      onClose();
    },
  };
}
