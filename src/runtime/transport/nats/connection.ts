/** The NATS client's one connection: opened on first use, watched while it lasts, closed on request. */
import type { Msg } from 'nats';
import { natsConnection, natsServerCommand } from '../../../registry/servers.ts';
import type { MicroError } from '../../errors.ts';
import { TransportError, TransportErrors } from '../transport.ts';
import { Batcher, Link, type Outbox } from './wire.ts';

/** What the client above does as the connection comes, carries messages, and goes. */
export interface ConnectionEvents {
  /** Batches leave box with this reply subject. */
  reply: (box: Outbox) => string;
  /** A new connection, whose inbox prefix `_INBOX.<nuid>.` receives the nodes' answers. */
  opened: (inbox: string) => void;
  /** A message on the inbox. */
  message: (msg: Msg) => void;
  /** The connection dropped or closed: everything in flight fails with err. */
  lost: (err: MicroError) => void;
  /** Housekeeping, every `tick` ms while connected. */
  tick: () => void;
}

/** One NATS connection, dialled on first use and again after it closed. */
export class NatsConnection {
  /** `NATS at host:port,...`, for messages. */
  readonly where: string;
  /** What to do when NATS cannot be reached. */
  readonly hint: string;
  link: Link | undefined;
  /** Sends frames to nodes; set once connected. */
  out: Batcher | undefined;
  /** False while NATS is unreachable (between a disconnect and a reconnect). */
  online = false;
  readonly #hosts: string[];
  readonly #dialTimeout: number;
  readonly #tick: number;
  readonly #on: ConnectionEvents;
  #linking: Promise<Link> | undefined;
  #ticker: NodeJS.Timeout | undefined;

  constructor(hosts: string[], dialTimeout: number, tick: number, on: ConnectionEvents) {
    this.#hosts = hosts;
    this.#dialTimeout = dialTimeout;
    this.#tick = tick;
    this.#on = on;
    this.where = `NATS at ${hosts.join(',')}`;
    this.hint = `start nats-server (${natsServerCommand(hosts)}) or set --transport-address / MICRO_TRANSPORT_ADDRESS`;
  }

  /** The connection, dialled if need be; rejects with 503 when NATS cannot be reached. */
  async ready(): Promise<Link> {
    const l = this.link ?? (await this.#connect());
    if (!this.online)
      throw new TransportError(
        TransportErrors.lost,
        503,
        `${TransportErrors.lost}: ${this.where} is unreachable; ${this.hint}`,
      );
    return l;
  }

  /** Sends what is queued and closes the connection. */
  async close(): Promise<void> {
    const l = this.link ?? (await this.#linking?.catch(() => undefined));
    this.link = undefined;
    this.#linking = undefined;
    this.online = false;
    clearInterval(this.#ticker);
    this.out?.flush();
    if (l && !l.nc.isClosed()) {
      await l.nc.flush().catch(() => undefined);
      await l.nc.close();
    }
  }

  #connect(): Promise<Link> {
    this.#linking ??= this.#dial().catch((err: Error & { code?: string }) => {
      this.#linking = undefined;
      throw new TransportError(
        TransportErrors.connect,
        503,
        `${TransportErrors.connect}: cannot reach ${this.where} (${err.code ?? err.message}); ${this.hint}`,
      );
    });
    return this.#linking;
  }

  async #dial(): Promise<Link> {
    // nats loads in about 100 ms: on first use, not at import.
    const nats = await import('nats');
    const nc = await nats.connect(natsConnection(this.#hosts, this.#dialTimeout, 'micro'));
    const l = new Link(nats, nc);
    const inbox = `${nats.createInbox()}.`;
    const on = this.#on;
    this.out = new Batcher(l, on.reply);
    on.opened(inbox);
    nc.subscribe(`${inbox}*`, { callback: (err, msg) => err || on.message(msg) });
    await nc.flush();
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === nats.Events.Disconnect) {
          this.online = false;
          on.lost(this.#lost('lost'));
        } else if (s.type === nats.Events.Reconnect) this.online = true;
      }
    })();
    void nc.closed().then(() => {
      if (this.link === l) {
        this.link = undefined;
        this.#linking = undefined;
        this.online = false;
        clearInterval(this.#ticker);
      }
      on.lost(this.#lost('closed'));
    });
    this.#ticker = setInterval(on.tick, this.#tick);
    this.#ticker.unref();
    this.online = true;
    this.link = l;
    return l;
  }

  #lost(how: 'lost' | 'closed'): TransportError {
    return new TransportError(TransportErrors.lost, 502, `connection to ${this.where} ${how}`);
  }
}
