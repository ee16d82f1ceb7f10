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
  let passed = false;
  let waits = 0;
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
    } else if (!passed && waits++ === 0) {
      logger.info(
        `${app.name} is not healthy yet at ${app.healthcheckUrl ?? ''}: registering it once it is`,
      );
    }
    healthy = ok;
    passed ||= ok;
  };
  // An app started alongside the sidecar is registered as soon as it is up, not an interval later:
  // until it first passes, checks come at 100 ms, doubling up to the interval.
  const soon = (): number => Math.min(interval, 100 * 2 ** Math.max(0, waits - 1));
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = beat();
  await running;
  const next = (): void => {
    if (stopped) return;
    timer = setTimeout(
      () => {
        running = beat().then(next);
      },
      passed ? interval : soon(),
    );
    timer.unref();
  };
  next();
  return {
    get healthy() {
      return healthy;
    },
    record,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      if (healthy) await registry.deregister(record).catch(() => undefined);
    },
  };
}
