import { randomUUID } from 'node:crypto';
import type { Registry, Service } from '../../registry/registry.ts';
import type { Logger } from '../../runtime/server/server.ts';

/** The local app the sidecar registers on its behalf. */
export interface AppOptions {
  /** Service name the app is registered under. */
  name: string;
  /** `host:port` where the app answers the HTTP form of the protocol (POST / with Micro-Endpoint). */
  address: string;
  version?: string;
  /** Polled on every interval; a 2xx answer means healthy. Without it the app is assumed healthy. */
  healthcheckUrl?: string;
  /** Milliseconds between checks (default 5 s); the registration's TTL is three of them. */
  interval?: number;
}

/** The app's registration, kept while its health check passes. */
export interface AppRegistration {
  readonly healthy: boolean;
  readonly record: Service;
  stop(): Promise<void>;
}

async function check(url: string, timeout: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeout) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Registers the app, re-registers it while healthy, deregisters it when its check fails, and again once it recovers. */
export async function registerApp(
  registry: Registry,
  app: AppOptions,
  logger: Logger,
): Promise<AppRegistration> {
  const interval = app.interval ?? 5000;
  const record: Service = {
    name: app.name,
    version: app.version ?? 'latest',
    metadata: {},
    endpoints: [],
    nodes: [
      {
        id: `${app.name}-${randomUUID()}`,
        address: app.address,
        metadata: { transport: 'http', protocol: 'micro-http/1', sidecar: 'true' },
      },
    ],
  };
  let healthy = false;
  let stopped = false;
  const beat = async (): Promise<void> => {
    const ok = app.healthcheckUrl
      ? await check(app.healthcheckUrl, Math.min(interval, 2000))
      : true;
    if (stopped) return;
    if (ok) {
      if (!healthy) logger.info(`${app.name} at ${app.address} is healthy: registered`);
      await registry
        .register(record, { ttl: interval * 3 })
        .catch((err: Error) => logger.warn(`registering ${app.name} failed: ${err.message}`));
    } else if (healthy) {
      logger.warn(
        `${app.name} failed its health check at ${app.healthcheckUrl ?? ''}: deregistered until it passes`,
      );
      await registry.deregister(record).catch(() => undefined);
    }
    healthy = ok;
  };
  await beat();
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(beat);
  }, interval);
  timer.unref();
  return {
    get healthy() {
      return healthy;
    },
    record,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      if (healthy) await registry.deregister(record).catch(() => undefined);
    },
  };
}
