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
import { tooLarge, tooMany } from '../limits.ts';
import { MESSAGE_COST, QueuePipe, type InboundBudget } from '../pipe.ts';
import type {
  CallInfo,
  ConnectionLimits,
  Listener,
  Reply,
  TransportHandler,
} from '../transport.ts';
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
  /** Unread bytes its streams' handlers may hold. */
  budget: InboundBudget;
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
    peer = {
      inbox,
      box,
      no,
      calls: new Map(),
      streams: new Map(),
      budget: { perStream: limits.maxStreamBuffer, total: limits.maxConnectionBuffer, used: 0 },
      seen: 0,
    };
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

  const reply = (peer: Peer, n: number, info: CallInfo, rep: Reply): void => {
    if (peer.calls.get(n) !== info) return; // cancelled, or the caller is gone
    peer.calls.delete(n);
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

  /** True when id n may start a call or stream for peer; otherwise the peer has been answered. */
  const admit = (peer: Peer, n: number, call: boolean): boolean => {
    const info = peer.calls.get(n);
    const pipe = peer.streams.get(n);
    if (info || pipe) {
      // Refused, and the first one ended: two of them could not be told apart.
      const err = badRequest(
        ID,
        `id ${n} is already in use by a call or stream in flight from this caller; both are ended`,
      );
      if (info) {
        peer.calls.delete(n);
        info.onCancel?.();
        write(peer, errorFrame(n, err));
      } else pipe?.fail(err);
      return false;
    }
    const max = call ? limits.maxCalls : limits.maxStreams;
    if ((call ? peer.calls.size : peer.streams.size) >= max) {
      const state = call ? 'calls in flight' : 'streams open';
      write(peer, errorFrame(n, tooMany(`${max} ${state} from this caller already, the limit`)));
      return false;
    }
    return true;
  };

  const open = (peer: Peer, f: Frame): void => {
    const n = f.id;
    if (!admit(peer, n, false)) return;
    const pipe: QueuePipe = new QueuePipe(
      {
        send: (b) => write(peer, encodeFrame(Kind.data, n, undefined, b)),
        end: () => write(peer, encodeFrame(Kind.end, n, undefined)),
        fail: (err) => write(peer, errorFrame(n, err)),
        release: () => {
          if (peer.streams.get(n) === pipe) peer.streams.delete(n);
        },
        overflow: (queued, max, all) =>
          tooLarge(
            all
              ? `stream ${n} reset: the streams of this caller hold ${queued} bytes their handlers have not read (limit ${max})`
              : `stream ${n} reset: its handler has not read the ${queued} bytes queued for it (limit ${max})`,
          ),
      },
      peer.budget,
    );
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
        if (!admit(peer, n, true)) return;
        // What the handler holds until it settles, counted with the caller's unread stream bytes.
        const b = peer.budget;
        const cost = f.size + MESSAGE_COST;
        if (b.used + cost > b.total && peer.calls.size > 0) {
          const detail = `the calls in flight from this caller hold ${b.used} bytes of requests already (limit ${b.total})`;
          write(peer, errorFrame(n, tooMany(detail)));
          return;
        }
        b.used += cost;
        const info: CallInfo = { remote: peer.inbox, protocol: 'nats' };
        peer.calls.set(n, info);
        const done = (rep: Reply): void => {
          b.used -= cost;
          reply(peer, n, info, rep);
        };
        const failed = (err: unknown): void =>
          done({
            header: {},
            body: Buffer.from(JSON.stringify(toMicroError(err, ID))),
            error: true,
          });
        try {
          handler.call({ header: f.header, body: f.body }, info).then(done, failed);
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
  /** A frame over a limit: its stream fails, or its call or stream is refused. */
  const onRefused = (kind: number, n: number, err: MicroError, peer: Peer): void => {
    const pipe = peer.streams.get(n);
    if (pipe) pipe.fail(err);
    else if ((kind === Kind.request || kind === Kind.open) && !peer.calls.has(n))
      write(peer, errorFrame(n, err));
  };
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
          for (const n of peer.streams.keys()) write(peer, encodeFrame(Kind.ping, n, undefined));
        if (peer.calls.size === 0 && peer.streams.size === 0 && now - peer.seen > IDLE_MS) {
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
        for (const pipe of [...peer.streams.values()]) pipe.fail(gone);
      out.flush();
      if (!nc.isClosed()) await nc.flush().catch(() => undefined);
      onClose();
    },
  };
}
