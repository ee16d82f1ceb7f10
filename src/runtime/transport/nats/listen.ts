/** A node served over NATS: its subject, its callers, their frames and liveness. */
import type { Msg } from 'nats';
import { MicroError, badGateway, badRequest, serviceUnavailable } from '../../errors.ts';
import { Kind, encodeFrame, type Frame } from '../frame.ts';
import { ServedCalls, errorFrame } from '../served.ts';
import type { ConnectionLimits, Listener, TransportHandler } from '../transport.ts';
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
  /** Its calls and streams in flight, within the limits. */
  served: ServedCalls;
  seen: number;
}

/**
 * Serves a node on its own subject `<prefix>.<nuid>`. Every message there is a batch of frames from
 * one caller, known by its reply subject; the answers to a caller are batched likewise, with a reply
 * subject naming the caller, so that NATS's "no responders" tells when it is gone. Each open stream
 * is pinged every `heartbeat` ms (0: never) so that a caller that vanished is seen. Each caller
 * gets the limits a TCP connection gets (frames, headers, calls, streams, unread bytes).
 */
export async function serveNats(
  link: Link,
  handler: TransportHandler,
  prefix: string,
  heartbeat: number,
  limits: ConnectionLimits,
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
  const send = (box: Outbox, frame: Buffer): void => {
    try {
      out.write(box, frame);
    } catch {
      // connection closed
    }
  };
  const write = (peer: Peer, frame: Buffer): void => send(peer.box, frame);

  const peerOf = (inbox: string): Peer => {
    let peer = peers.get(inbox);
    if (peer) return peer;
    const no = ++nextPeer;
    const box = new Outbox(`${inbox}.0`);
    box.reply = `${subject}.${no}`;
    const served = new ServedCalls({
      handler,
      limits,
      remote: inbox,
      protocol: 'nats',
      noun: 'caller',
      write: (frame) => send(box, frame),
    });
    peer = { inbox, box, no, served, seen: 0 };
    peers.set(inbox, peer);
    numbered.set(no, peer);
    return peer;
  };

  /** Forgets a caller: its calls are cancelled, its streams fail with err. */
  const drop = (peer: Peer, err: MicroError): void => {
    peers.delete(peer.inbox);
    numbered.delete(peer.no);
    deframer.forget(peer.inbox);
    peer.served.release(err);
  };

  const onFrame = (f: Frame, peer: Peer): void => {
    if (peer.served.frame(f) || f.kind !== Kind.ping) return;
    // The caller checks that its call or stream is alive; a lost one gets an error.
    const n = f.id;
    if (n === 0 || peer.served.calls.has(n) || peer.served.streams.has(n))
      write(peer, encodeFrame(Kind.pong, n, undefined));
    else
      write(
        peer,
        errorFrame(n, badGateway(ID, `${subject} has no call or stream ${n}: it was lost`)),
      );
  };
  /** A frame over a limit: its stream fails, or its call or stream is refused. */
  const onRefused = (kind: number, n: number, err: MicroError, peer: Peer): void =>
    peer.served.refused(kind, n, err);
  const deframer = new Deframer<Peer>(
    onFrame,
    // Frames half-received from all callers together: four of the largest.
    { ...limits, maxPartialBytes: 4 * limits.maxFrameBytes },
    onRefused,
  );

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
        const err = e instanceof MicroError ? e : badRequest(ID, 'malformed frame');
        write(peer, errorFrame(0, err));
        drop(
          peer,
          badGateway(ID, `the caller at ${inbox} sent a frame it could not take: ${err.detail}`),
        );
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
          for (const n of peer.served.streams.keys())
            write(peer, encodeFrame(Kind.ping, n, undefined));
        if (peer.served.idle && now - peer.seen > IDLE_MS) {
          peers.delete(peer.inbox);
          numbered.delete(peer.no);
        }
      }
      deframer.sweep(limits.frameTimeout || IDLE_MS);
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
        for (const pipe of [...peer.served.streams.values()]) pipe.fail(gone);
      out.flush();
      if (!nc.isClosed()) await nc.flush().catch(() => undefined);
      onClose();
    },
  };
}
