/** What the NATS client's call table holds: calls and streams, with their node's outbox and ping state. */
import type { MicroError } from '../../errors.ts';
import type { Call, Inbound } from '../calls.ts';
import { Kind } from '../frame.ts';
import type { QueuePipe } from '../pipe.ts';
import type { Outbox } from './wire.ts';

/** A call in flight to a node. */
export interface NatsCall extends Call {
  /** The node's outbox; its subject is the node's address. */
  box: Outbox;
  /** Set by the heartbeat; a call still pending at the next beat gets a liveness ping. */
  aged: boolean;
  /** When the ping now out was sent (0: none out); unanswered for a beat, the node is unreachable. */
  pinged: number;
}

/** A stream open to a node; until the node answers, failing it rejects the open. */
export class NatsStream implements Inbound {
  readonly pipe: QueuePipe;
  readonly box: Outbox;
  /** Settles the open once the node answers the ping sent with it, or anything else. */
  opened: { resolve: () => void; reject: (e: MicroError) => void } | undefined;
  /** As for calls: when the ping now out was sent; anything from the node answers it. */
  pinged = 0;

  constructor(pipe: QueuePipe, box: Outbox) {
    this.pipe = pipe;
    this.box = box;
  }

  /** A frame of this kind came from the node: the ping is answered, and all but a ping or error opens the stream. */
  heard(kind: number): void {
    this.pinged = 0;
    if (this.opened && kind !== Kind.ping && kind !== Kind.error) {
      this.opened.resolve();
      this.opened = undefined;
    }
  }

  deliver(body: Uint8Array): void {
    this.pipe.deliver(body);
  }

  remoteEnd(): void {
    this.pipe.remoteEnd();
  }

  remoteFail(err: MicroError): void {
    if (this.opened) this.opened.reject(err);
    else this.pipe.remoteFail(err);
  }
}
