import type { Agent, IncomingMessage } from 'node:http';
import { RemoteWatchers } from './channel.ts';
import {
  listOptions,
  pageOf,
  type ListOptions,
  type PagedRegistry,
  type PageOf,
  type ServiceSummary,
} from './listing.ts';
import type {
  RegisterOptions,
  RegistryOptions,
  Service,
  WatchEvent,
  WatchOptions,
  Watcher,
} from './registry.ts';
import { RegistryError, RegistryErrors } from './registry.ts';
import { recordCheck } from './validate.ts';

// Not imported: an ES import of node:http reads its lazy WebSocket export, which loads Node's
// bundled undici (about 50 ms at start-up); getBuiltinModule does not.
const { Agent: HttpAgent, request } = process.getBuiltinModule('node:http');

/** Options of the control-plane registry client. */
export interface MicroRegistryOptions extends RegistryOptions {
  /** `host:port` of the control plane; 127.0.0.1:8000 by default. */
  address?: string;
  /**
   * The access token to send (`authorization: Bearer <token>`) when the control plane enforces
   * auth, asked for before each request and watch; none (or undefined) sends none.
   */
  token?: TokenGetter;
}

/**
 * Gives the current access token, or undefined for none, told which request it is for (the
 * `Registry.*` endpoint, and the service it names, if one): finding the `auth` service needs no
 * token, so a getter that gets its token from there can send none for that lookup.
 */
export type TokenGetter = (request: {
  endpoint: string;
  service?: string;
}) => string | undefined | Promise<string | undefined>;

/** The `authorization` header of a token from the getter, or none. */
async function authorization(
  token: TokenGetter | undefined,
  endpoint: string,
  service: string | undefined,
): Promise<Record<string, string>> {
  const t = await token?.(service === undefined ? { endpoint } : { endpoint, service });
  return t ? { authorization: `Bearer ${t}` } : {};
}

/** The control plane's client: a Registry whose listing pages on the server (`Registry.ListServices`). */
export type MicroRegistry = PagedRegistry;

interface ErrorBody {
  code?: number;
  detail?: string;
}

/**
 * The default registry: the control plane (`micro run` or `micro registry`), reached over the
 * protocol's HTTP mapping, with watches as WebSocket streams. This layer sits below the runtime,
 * so it speaks the documented wire format itself (docs/protocol.md).
 */
export function createMicroRegistry(options: MicroRegistryOptions = {}): MicroRegistry {
  const address = options.address ?? options.addresses?.[0] ?? '127.0.0.1:8000';
  const timeout = options.timeout ?? 5000;
  const check = recordCheck(options);
  // `mdns` as the address: find a control plane that announced itself (`micro run --mdns`).
  let resolved: Promise<string> | undefined;
  const target = (): Promise<string> =>
    (resolved ??= address === 'mdns' ? discover(timeout) : Promise.resolve(address));
  // node:http rather than undici: a service registers at start-up, and undici takes ~100 ms to load.
  let agent: Agent | undefined;
  const watchers = new RemoteWatchers();
  const where = `the registry at ${address}`;
  const hint = `start one with "micro run" (or "micro registry"), or set MICRO_REGISTRY_ADDRESS`;

  const post = async <T>(endpoint: string, body: unknown, service?: string): Promise<T> => {
    const [addr, auth] = await Promise.all([
      target(),
      authorization(options.token, endpoint, service),
    ]);
    let res;
    try {
      res = await postJson(
        (agent ??= new HttpAgent({ keepAlive: true, maxSockets: 8 })),
        addr,
        {
          'micro-service': 'registry',
          'micro-endpoint': endpoint,
          'content-type': 'application/json',
          'micro-timeout': String(timeout),
          ...auth,
        },
        JSON.stringify(body),
        AbortSignal.timeout(timeout),
      );
    } catch (err) {
      const e = err as Error & { code?: string };
      throw new RegistryError(
        RegistryErrors.unavailable,
        `no answer from ${where} (${e.code ?? e.message}); ${hint}`,
      );
    }
    const text = await res.text;
    if (res.statusCode === 200) return JSON.parse(text) as T;
    let detail = text;
    try {
      detail = (JSON.parse(text) as ErrorBody).detail ?? text;
    } catch {
      // not JSON: keep the text
    }
    if (res.statusCode === 404)
      throw new RegistryError(RegistryErrors.notFound, detail.replace(/registry$/, where));
    if (res.statusCode === 400) throw new RegistryError(RegistryErrors.invalid, detail);
    if (res.statusCode === 401)
      throw new RegistryError(RegistryErrors.unauthorized, `${where} refused it: ${detail}`);
    if (res.statusCode === 403)
      throw new RegistryError(RegistryErrors.forbidden, `${where} refused it: ${detail}`);
    throw new RegistryError(RegistryErrors.unavailable, `${where} failed: ${detail}`);
  };

  return {
    name: 'micro',
    address,
    async register(service: Service, opts: RegisterOptions = {}) {
      // A bad record fails here, with the error the control plane would give.
      const ttl = check.registration(service, opts);
      await watchers.settled();
      await post('Registry.Register', { service, ttl }, service.name);
    },
    async deregister(service: Service) {
      check.deregistration(service);
      await watchers.settled();
      await post('Registry.Deregister', { service }, service.name);
    },
    async getService(name: string) {
      // A read waits for the watches being set up too: "watch, then read" then misses nothing.
      await watchers.settled();
      try {
        return (await post<{ services: Service[] }>('Registry.GetService', { name }, name))
          .services;
      } catch (err) {
        if (err instanceof RegistryError && err.code === RegistryErrors.notFound) {
          throw new RegistryError(RegistryErrors.notFound, `service ${name} not found in ${where}`);
        }
        throw err;
      }
    },
    async listServices() {
      await watchers.settled();
      return (await post<{ services: Service[] }>('Registry.ListServices', {})).services;
    },
    async listPage<O extends ListOptions>(opts: O): Promise<PageOf<O>> {
      // A bad option fails here, with the error the control plane would give.
      const o = listOptions(opts, 'the listing options');
      await watchers.settled();
      const answer = await post<{
        services?: Service[];
        summaries?: ServiceSummary[];
        next?: string;
      }>('Registry.ListServices', o);
      if (o.summary && Array.isArray(answer.summaries)) return answer as PageOf<O>;
      // An older control plane answers every version in full, whatever was asked: the page (all
      // that is left) is cut here. For a current one this changes nothing and keeps its cursor.
      const page = pageOf(answer.services ?? [], { ...o, limit: undefined });
      return (answer.next === undefined ? page : { ...page, next: answer.next }) as PageOf<O>;
    },
    watch: (wopts: WatchOptions = {}): Watcher =>
      watchers.watch(async (channel, onStop) => {
        // ws loads on the first watch: a service that only registers never needs it.
        const [addr, { WebSocket }, auth] = await Promise.all([
          target(),
          import('ws'),
          authorization(options.token, 'Registry.Watch', wopts.service),
        ]);
        if (channel.closed) return;
        const ws = new WebSocket(`ws://${addr}/`, {
          headers: {
            'micro-service': 'registry',
            'micro-endpoint': 'Registry.Watch',
            'content-type': 'application/json',
            ...auth,
          },
          handshakeTimeout: timeout,
        });
        onStop(() => ws.close());
        // Set up until the server's ready mark, or the end of the stream.
        await new Promise<void>((ready) => {
          ws.on('open', () => {
            ws.send(Buffer.from(JSON.stringify(wopts.service ? { service: wopts.service } : {})));
            ws.send(Buffer.alloc(0));
          });
          ws.on('message', (data: Buffer, isBinary) => {
            if (!isBinary || data.length === 0) return; // an error or the end: the close below ends the watch
            const msg = JSON.parse(data.toString('utf8')) as WatchEvent | { ready: true };
            if ('ready' in msg) ready();
            else channel.push(msg);
          });
          ws.on('error', () => undefined);
          ws.on('close', () => {
            ready();
            channel.close();
          });
        });
      }),
    async close() {
      // Not awaited: a socket's closing handshake may take its time, and close() never waited for it.
      void watchers.close();
      agent?.destroy();
      agent = undefined;
    },
  };
}

/** A response whose head has arrived; `text` resolves with its body. */
interface PostResponse {
  statusCode: number;
  text: Promise<string>;
}

/** POSTs a body to http://addr/; resolves when the response head arrives, rejects with the signal's reason once it aborts. */
function postJson(
  agent: Agent,
  addr: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<PostResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(`http://${addr}/`),
      {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal,
      },
      (res: IncomingMessage) =>
        resolve({
          statusCode: res.statusCode ?? 0,
          // Iterating rejects when the body is cut short (the connection closed, or the signal aborted).
          text: (async () => {
            const chunks: Buffer[] = [];
            for await (const chunk of res) chunks.push(chunk as Buffer);
            return Buffer.concat(chunks).toString('utf8');
          })(),
        }),
    );
    req.on('error', (err) => reject(signal.aborted ? (signal.reason as Error) : err));
    req.end(body);
  });
}

/** Finds the address of a control plane announced over mDNS; bonjour loads only when asked. */
async function discover(timeout: number): Promise<string> {
  const { createMdnsRegistry } = await import('./mdns/index.ts');
  const mdns = createMdnsRegistry({ timeout: Math.min(timeout, 2000) });
  try {
    const [svc] = await mdns.getService('registry');
    const node = svc?.nodes[0];
    if (node) return node.address;
  } catch {
    // not found: said below
  } finally {
    await mdns.close();
  }
  throw new RegistryError(
    RegistryErrors.unavailable,
    'no control plane announced itself over mDNS; start one with "micro run --mdns", or set MICRO_REGISTRY_ADDRESS to its host:port (multicast may be blocked by a firewall, container or VPN)',
  );
}
