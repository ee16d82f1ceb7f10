// The mDNS socket of the registry: publishing, renewing and withdrawing nodes, and asking the network.
import Bonjour from 'bonjour-service';

type BonjourService = Bonjour.Service;
type DnsRecord = ReturnType<BonjourService['records']>[number];
type Callback = (err?: Error | null) => void;

/** One resource record of a response. */
export type Answer = { name: string; type: string; ttl: number; data: unknown };
/** An mDNS response as the socket hears it. */
export type Packet = { answers: Answer[]; additionals?: Answer[] };
/** A question to multicast. */
export type Question = { name: string; type: string };

interface Mdns {
  on(event: 'response', listener: (packet: Packet) => void): void;
  on(event: 'error' | 'warning', listener: Callback): void;
  query(questions: Question[], cb: Callback): void;
  respond(records: DnsRecord[], cb: Callback): void;
}

// bonjour-service keeps its socket private, but renewals, last-seen tracking and socket errors need it.
interface Responder {
  mdns: Mdns;
  register(records: DnsRecord[]): void;
  unregister(records: DnsRecord[]): void;
}

// Binding to the interface address alone receives nothing; multicast arrives on the wildcard socket.
const BIND = '0.0.0.0';

/** This registry's mDNS socket: publishes nodes as DNS-SD services, asks the network and hears it. */
export class Announcer {
  readonly #bonjour: Bonjour;
  readonly #responder: Responder;
  readonly #published = new Map<string, BonjourService>();
  readonly #type: string;
  #lastError: string | undefined;
  readonly #note: Callback = (err) => {
    if (err)
      this.#lastError = `${(err as Error & { code?: string }).code ?? err.name}: ${err.message}`;
  };

  /** Multicasts on the interface `iface` under the service type `type`; every response goes to `heard`. */
  constructor(iface: string, type: string, heard: (packet: Packet) => void) {
    this.#type = type;
    const mdnsOptions: Record<string, unknown> = { interface: iface, bind: BIND };
    this.#bonjour = new Bonjour(mdnsOptions, this.#note);
    this.#responder = (this.#bonjour as unknown as { server: Responder }).server;
    const mdns = this.#responder.mdns;
    mdns.on('error', this.#note);
    mdns.on('warning', this.#note);
    mdns.on('response', heard);
  }

  /** The last socket error, for messages. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Multicasts questions; the answers come to `heard`. */
  query(questions: Question[]): void {
    this.#responder.mdns.query(questions, this.#note);
  }

  /** Publishes or renews one node; a renewal re-announces so peers refresh their last-seen time. */
  publish(key: string, name: string, port: number, txt: Record<string, string>): void {
    const current = this.#published.get(key);
    if (!current) {
      this.#published.set(
        key,
        this.#bonjour.publish({ name, type: this.#type, port, txt, probe: false }),
      );
      return;
    }
    if (JSON.stringify(current.txt) !== JSON.stringify(txt)) {
      // The responder keeps the old TXT record by name; replace it so queries get the new one.
      this.#responder.unregister(current.records().filter((r) => r.type === 'TXT'));
      current.txt = txt;
      this.#responder.register(current.records());
    }
    this.#responder.mdns.respond(current.records(), this.#note);
  }

  /** Withdraws one node with a goodbye (records with TTL 0). */
  async unpublish(key: string): Promise<void> {
    const service = this.#published.get(key);
    if (!service) return;
    this.#published.delete(key);
    const stop = service.stop as (cb: () => void) => void;
    const sent = new Promise<void>((resolve) => stop(() => resolve()));
    // bonjour drops every record sharing a name (the type's PTR) on stop; put the others back.
    for (const other of this.#published.values()) this.#responder.register(other.records());
    await sent;
  }

  /** Closes the socket. */
  destroy(): Promise<void> {
    return new Promise<void>((resolve) => this.#bonjour.destroy(() => resolve()));
  }
}
