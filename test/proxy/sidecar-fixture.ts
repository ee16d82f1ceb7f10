// The set-up every sidecar test starts from: a greeter (Say.Hello) and a sidecar in front of it, on a
// memory registry or on a real control plane with its runtime service.
import { startSidecar, type Sidecar, type SidecarOptions } from '../../src/proxy/sidecar/index.ts';
import {
  createClient,
  createHttpBroker,
  createMemoryRegistry,
  createService,
  type Broker,
  type Client,
  type Registry,
  type Service,
} from '../../src/runtime/index.ts';
import { closeAll, quiet, sayHello } from '../helpers/fixtures.ts';
import { controlPlane } from './fixtures.ts';

/** What a sidecar test may choose. */
export interface SidecarBenchOptions {
  /**
   * A real control plane whose runtime service would run a no-op (in case a test let a start
   * through), instead of a memory registry.
   */
  controlPlane?: boolean;
  /**
   * Say.Hello checks its request against a schema (sayHello()); by default it takes anything, so
   * that what refuses bad input is the sidecar.
   */
  validated?: boolean;
  /** The sidecar's options besides its address, registry, client, broker and logger. */
  sidecar?: Partial<SidecarOptions>;
}

/** A running greeter and sidecar, and what they run on. */
export interface SidecarBench {
  registry: Registry;
  broker: Broker;
  client: Client;
  /** Answers Say.Hello with `{msg: "Hello <name>"}`. */
  greeter: Service;
  sidecar: Sidecar;
  /** `http://` and the sidecar's address. */
  base: string;
  /** Starts another sidecar on 127.0.0.1 over the same registry, client and broker. */
  start(options?: Partial<SidecarOptions>): Promise<Sidecar>;
  /** The processes the control plane's runtime supervises (with `controlPlane` only). */
  processes(): Promise<unknown[]>;
  close(): Promise<void>;
}

/** Starts a greeter and a sidecar on a memory registry, or on a control plane when asked. */
export async function startSidecarBench(options: SidecarBenchOptions = {}): Promise<SidecarBench> {
  const plane = options.controlPlane
    ? await controlPlane({ supervise: { command: process.execPath, args: ['-e', ''] } })
    : undefined;
  const registry = plane?.registry ?? createMemoryRegistry();
  const broker = createHttpBroker({ registry });
  const client = createClient({ registry, broker });
  const greeter = createService({ name: 'greeter', registry, handleSignals: false, logger: quiet });
  greeter.handle('Say', {
    Hello: options.validated
      ? sayHello()
      : async (req: { name?: string }) => ({ msg: `Hello ${req.name}` }),
  });
  await greeter.start();
  const start = (more: Partial<SidecarOptions> = {}) =>
    startSidecar({ address: '127.0.0.1:0', registry, client, broker, logger: quiet, ...more });
  const sidecar = await start(options.sidecar);
  return {
    registry,
    broker,
    client,
    greeter,
    sidecar,
    base: `http://${sidecar.address}`,
    start,
    processes: async () =>
      (await client.call<{ processes: unknown[] }>('runtime', 'Runtime.List', {})).processes,
    close: () =>
      closeAll(
        sidecar,
        greeter,
        client,
        { close: () => broker.disconnect() },
        // The control plane's stop closes its registry client.
        plane ?? registry,
      ),
  };
}
