// The set-up of the Dapr HTTP tests: a real control plane (store, config and sync served from its
// SQLite), a sidecar started in this process on the platform's micro clients, and an "app" that
// records what the sidecar POSTs to it (configuration updates).
import { EventEmitter, once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { configFromEnv } from '../../src/platform/config/index.ts';
import type { Config } from '../../src/platform/config/config.ts';
import { storeFromEnv } from '../../src/platform/store/index.ts';
import type { Store } from '../../src/platform/store/store.ts';
import { syncFromEnv } from '../../src/platform/sync/index.ts';
import type { Sync } from '../../src/platform/sync/sync.ts';
import { startSidecar, type Sidecar } from '../../src/proxy/sidecar/index.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, createHttpBroker, type Client } from '../../src/runtime/index.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, quiet } from '../helpers/fixtures.ts';
import type { RunningServer } from '../helpers/server-process.ts';

/** What the app was sent. */
export interface AppRequest {
  url: string;
  body: unknown;
}

/** A running control plane, sidecar and app. */
export interface DaprBench {
  /** `http://` and the sidecar's address. */
  base: string;
  /** The app id the sidecar registers (its state lives in this database). */
  appId: string;
  appPort: number;
  /** The platform as a micro service sees it, to check what the Dapr paths stored. */
  store: Store;
  config: Config;
  sync: Sync;
  /** Resolves with the next request the app receives. */
  nextAppRequest(): Promise<AppRequest>;
  /** Sends a request to the sidecar: an object body as JSON, a string as it is. */
  dapr(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  close(): Promise<void>;
}

/** Starts the control plane, the app and the sidecar (body limit 256 KiB). */
export async function startDaprBench(appId = 'orders'): Promise<DaprBench> {
  const plane: RunningServer = await startTestControlPlane('micro-dapr-');
  const registry = createMicroRegistry({ address: plane.address });
  const client: Client = createClient({ registry });
  const broker = createHttpBroker({ registry });
  const store = storeFromEnv({}, { client, database: appId });
  const config = configFromEnv({}, { client });
  const sync = syncFromEnv({}, { client, id: 'dapr-test' });
  const received: AppRequest[] = [];
  const events = new EventEmitter();
  const app: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (c: string) => (text += c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', body: text === '' ? undefined : JSON.parse(text) });
      res.end();
      events.emit('request');
    });
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const appPort = (app.address() as { port: number }).port;
  let sidecar: Sidecar | undefined;
  const close = async () => {
    await closeAll(sidecar, sync, config, store, client, { close: () => broker.disconnect() });
    await registry.close();
    await new Promise((r) => app.close(r));
    await plane.stop();
  };
  try {
    sidecar = await startSidecar({
      address: '127.0.0.1:0',
      registry,
      client,
      broker,
      logger: quiet,
      store,
      config,
      sync,
      version: 'micro test',
      bodyLimit: 256 * 1024,
      app: { name: appId, address: `127.0.0.1:${appPort}` },
    });
  } catch (err) {
    await close();
    throw err;
  }
  const base = `http://${sidecar.address}`;
  return {
    base,
    appId,
    appPort,
    store,
    config,
    sync,
    async nextAppRequest() {
      while (received.length === 0) await once(events, 'request');
      return received.shift() as AppRequest;
    },
    dapr: (method, path, body, headers = {}) =>
      fetch(`${base}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body:
          body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
    close,
  };
}
