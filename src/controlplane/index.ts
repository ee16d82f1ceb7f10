import { join } from 'node:path';
import { createMdnsRegistry } from '../registry/mdns/index.ts';
import type { Registry } from '../registry/registry.ts';
import { recordCheck, type RecordLimits } from '../registry/validate.ts';
import { createHttpBroker } from '../runtime/broker/http.ts';
import type { Client } from '../runtime/client/client.ts';
import { createClient } from '../runtime/client/rpc-client.ts';
import { conflict } from '../runtime/errors.ts';
import { createService, type Service, type ServiceOptions } from '../runtime/service.ts';
import { createLogger } from '../platform/logs/logger.ts';
import type { Logger } from '../runtime/server/server.ts';
import { createTcpTransport } from '../runtime/transport/tcp/index.ts';
import {
  lateEmit,
  PLATFORM_TOPICS,
  platformEmitter,
  type PlatformEmitter,
} from '../platform/events/platform.ts';
import type { HostContext, Hosted } from '../platform/hosting.ts';
import { platformHosts } from '../platform/hosts.ts';
import { accessCheck } from '../platform/access.ts';
import { createMeteredService } from '../platform/metrics/enable.ts';
import { SD_PATH, sdRoute } from '../platform/metrics/sd.ts';
import { addPlaneMetrics } from './metrics.ts';
import { OTLP_TRACES_PATH, otlpReceiver } from '../platform/trace/receiver.ts';
import type { Trace } from '../platform/trace/trace.ts';
import type { PlaneAuth } from './auth.ts';
import type { ServiceAccounts } from './service-accounts.ts';
import { healthOverlay } from './health-overlay.ts';
import { registryEvents } from './registry-events.ts';
import { registryHandler } from './registry-service.ts';
import { runtimeHandler } from './runtime-service.ts';
import type { RuntimeStore } from './runtime-store.ts';
import { Supervisor, type Restored } from './supervisor.ts';
import { planeTracing } from './tracing.ts';
import type { ControlPlaneTls } from './tls.ts';

/** How the listing says auth is on, after the auth service's address. */
const AUTH_ON = '(on: every call needs a token the rules allow; micro login, micro auth rules)';

/** Options of the control plane. */
export interface ControlPlaneOptions {
  /** Where the registry listens; 127.0.0.1:8000 by default. */
  address?: string;
  /** Folder of the database (micro.db) and of supervised services' logs. */
  dataDir: string;
  /**
   * The registry to serve and register in, such as etcd or NATS; the caller closes it. Without it,
   * the registry is SQLite in dataDir.
   */
  registry?: Registry;
  /**
   * Environment given to supervised services over the default, which points them at the registry:
   * this control plane (MICRO_REGISTRY=micro at its address), or the `registry` given (its name and
   * address).
   */
  env?: Record<string, string>;
  /** better-sqlite3's addon, when the single executable loaded it. */
  nativeBinding?: unknown;
  /** Announce the registry over mDNS so services on the LAN find it. */
  mdns?: boolean;
  /**
   * Bounds of the records the registry service takes (names, sizes, leases; defaults in
   * src/registry/validate.ts); a record beyond them is a 400 naming the field.
   */
  limits?: Partial<RecordLimits>;
  /**
   * Run the runtime service, which supervises services for `micro run -d`, keeps them in micro.db
   * and starts them again when the control plane restarts.
   */
  supervise?: { command: string; args: string[] } | false;
  /**
   * TLS (micro run --tls): the CA in dataDir issues each supervised service a certificate, and the
   * control plane's services serve TLS too, all but the registry's port (see src/controlplane/tls.ts).
   */
  tls?: { mutual?: boolean };
  /**
   * Enforce auth (`--auth`, MICRO_AUTH=on): every call to its services needs a token the rules
   * allow, the first start creates the `admin` account, and supervised services get accounts.
   */
  auth?: boolean;
  logger?: Logger;
}

/** The running control plane. */
export interface ControlPlane {
  /** Where the registry listens. */
  readonly address: string;
  readonly registry: Registry;
  /** The services `micro run -d` started before, started again (or forgotten) at start-up. */
  readonly restored: Restored;
  /** The TLS of micro run --tls, when on. */
  readonly tls?: ControlPlaneTls;
  /** The `admin` account's secret when this (first) start with auth on created it: print it once. */
  readonly adminSecret?: string;
  /** With auth on: the service accounts of the services run under it. */
  readonly accounts?: ServiceAccounts;
  /**
   * With auth on: its Auth and its verifier, in process, for the gateway and the dashboard served
   * beside it (`micro run --auth`), which verify tokens and log users in with them.
   */
  readonly auth?: Pick<PlaneAuth, 'auth' | 'verifier'>;
  /** Each part and where it listens, for printing. */
  listening(): [string, string][];
  stop(): Promise<void>;
}

/**
 * Starts the control plane: the registry (SQLite, WAL, or the one given) as the `registry` service,
 * the `runtime` supervisor, and the platform services of src/platform/hosts.ts (store, config,
 * sync...), all registered in that registry.
 */
export async function startControlPlane(given: ControlPlaneOptions): Promise<ControlPlane> {
  // Its own lines: the `micro` logger (pino, src/platform/logs) unless one is given.
  const own = given.logger ? undefined : createLogger({ service: 'micro' });
  const options = { ...given, logger: given.logger ?? own! };
  const address = options.address ?? '127.0.0.1:8000';
  const owned = options.registry === undefined;
  const registry =
    options.registry ??
    (await import('../registry/sqlite.ts')).createSqliteRegistry({
      path: join(options.dataDir, 'micro.db'),
      nativeBinding: options.nativeBinding,
      limits: options.limits,
    });
  // One context for every hosted area: its emit is set once the events area is hosted, and read
  // by the others at each change (a no-op before).
  const context: HostContext = {
    dataDir: options.dataDir,
    dbPath: join(options.dataDir, 'micro.db'),
    nativeBinding: options.nativeBinding,
    env: { ...process.env, ...options.env },
    logger: options.logger,
  };
  const emit = lateEmit(() => context.emit);
  const announced = registryEvents(registry, emit);
  const close = async (): Promise<void> => {
    announced.stop();
    if (owned) await registry.close();
  };
  const services: Service[] = [];
  const tls = options.tls
    ? await (await import('./tls.ts')).controlPlaneTls(options.dataDir, options.tls.mutual === true)
    : undefined;
  const hosted: Hosted[] = [];
  let plane: PlaneAuth | undefined;
  if (options.auth) {
    const made = await (await import('./auth.ts')).hostPlaneAuth(context).catch(async (err) => {
      await close();
      throw err;
    });
    hosted.push(made.hosted);
    plane = made.plane;
  }
  // Pinned, not from MICRO_TRANSPORT: micro registry clients reach the registry service over HTTP on its port.
  const base = (name: string) =>
    ({
      name,
      ...(plane && { guard: plane.guard(name) }),
      // Deregistered through the announcer: its own services' stops are deregistrations, not expiries.
      registry: announced.registry,
      transport: createTcpTransport(),
      broker: createHttpBroker({ registry }),
      handleSignals: false,
      // Its streams (registry watches, followed logs) never end by themselves: no waiting for them.
      streamDrainTimeout: 0,
      // Each part's lines say which part wrote them.
      logger: own ? own.child({ part: name }) : options.logger,
      tls: tls?.server ?? false,
    }) as const;
  // Served with the monitor's marks on unhealthy nodes (selectors skip them).
  const health = healthOverlay(announced.registry);
  // The trace store, once hosted: the OTLP/HTTP receiver on the registry's port writes to it, and
  // the control plane's own services' spans go straight into it.
  let traceStore: Trace | undefined;
  const tracing = planeTracing(context, () => traceStore);
  // The registry's port stays plain: every registry client (services, the CLI) speaks HTTP to it,
  // and finds the CA's certificate only through the data dir or the variables it is given.
  // Each service counts its requests (GET /metrics on its port, unless MICRO_METRICS=off); the
  // registry's port adds the control plane's figures and Prometheus' discovery of every node.
  const metered = (o: ServiceOptions): Service =>
    createMeteredService(createService, o, context.env).service;
  const { service: registryService, metrics: registryMetrics } = createMeteredService(
    createService,
    {
      ...base('registry'),
      address,
      tls: false,
      routes: { [SD_PATH]: sdRoute(registry), [OTLP_TRACES_PATH]: otlpReceiver(() => traceStore) },
    },
    context.env,
  );
  if (registryMetrics) addPlaneMetrics(registryMetrics, registry, context.dbPath);
  registryService.handle(
    'Registry',
    registryHandler(health.registry, recordCheck(options), accessCheck(context.authorize)),
  );
  try {
    await registryService.start();
  } catch (err) {
    await plane?.close();
    for (const h of hosted) await h.close();
    await close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw Object.assign(
        conflict(
          'micro',
          `cannot start the control plane: ${address} is in use (is another "micro run" or "micro registry" running, or a "micro run ./service" that started one because none answered?)`,
        ),
        { cause: err },
      );
    }
    throw err;
  }
  services.push(registryService);
  const bound = registryService.server.address;
  // Calls nodes directly: the monitor's probes and metrics' scrapes, a reloaded service's Debug.Health.
  const probe: Client = createClient({
    registry,
    tls: tls?.client,
    ...(plane && {
      wrappers: [(await import('../platform/auth/wrappers.ts')).authCallWrapper(plane.tokens)],
    }),
  });
  context.fleet = { registry, client: probe, mark: health.mark };

  context.registry = registry;
  context.client = probe;
  // The platform services (store, config, sync...), each from its entry in one table.
  let emitter: PlatformEmitter | undefined;
  try {
    for (const [name, host] of Object.entries(platformHosts)) {
      // Hosted first when auth is on: its part is already there.
      const part = name === 'auth' && hosted[0]?.auth ? hosted[0] : await host(context);
      if (part !== hosted[0]) hosted.push(part);
      if (part.trace) traceStore = part.trace;
      if (part.publish) {
        // Logged once when publishing starts failing.
        emitter = platformEmitter(part.publish, options.logger);
        context.emit = emitter.emit;
      }
      const entries = Object.entries(part.handlers);
      if (entries.length === 0) continue;
      const service = metered(tracing.traced(base(name)));
      for (const [handlerName, handler] of entries) service.handle(handlerName, handler);
      await service.start();
      services.push(service);
    }
  } catch (err) {
    for (const s of services.reverse()) await tracing.stop(s);
    await plane?.close();
    for (const h of hosted) await h.close();
    await probe.close();
    await close();
    throw err;
  }

  const accounts = plane?.accounts;
  let supervisor: Supervisor | undefined;
  let store: RuntimeStore | undefined;
  let restored: Restored = { started: [], forgotten: [] };
  const logs = hosted.find((h) => h.logs)?.logs;
  if (options.supervise) {
    const { createRuntimeStore } = await import('./runtime-store.ts');
    store = createRuntimeStore(join(options.dataDir, 'micro.db'), options.nativeBinding);
    supervisor = new Supervisor({
      dataDir: options.dataDir,
      registry: announced.registry,
      onChange: (change) => emit(PLATFORM_TOPICS.runtime, { ...change }),
      store,
      // Checks a reloaded service's new process before the old one stops.
      tls: tls?.issue,
      client: probe,
      self: options.supervise,
      ...(accounts && { accounts }),
      ...(logs && { logs }),
      env: {
        ...process.env,
        // Services find the registry where this control plane does: its own port, or the engine's.
        ...(owned
          ? { MICRO_REGISTRY: 'micro', MICRO_REGISTRY_ADDRESS: bound }
          : { MICRO_REGISTRY: registry.name, MICRO_REGISTRY_ADDRESS: registry.address }),
        ...options.env,
      },
    });
    const runtime = metered(tracing.traced(base('runtime')));
    runtime.handle('Runtime', runtimeHandler(supervisor));
    await runtime.start();
    services.push(runtime);
    restored = await supervisor.restore();
  }

  let announcer: Registry | undefined;
  let announce: NodeJS.Timeout | undefined;
  if (options.mdns) {
    const lan = createMdnsRegistry();
    announcer = lan;
    const record = registryService.server.record();
    await lan.register(record, { ttl: 30_000 });
    announce = setInterval(
      () => void lan.register(record, { ttl: 30_000 }).catch(() => undefined),
      10_000,
    );
    announce.unref();
  }

  return {
    address: bound,
    registry,
    restored,
    tls,
    ...(plane?.adminSecret !== undefined && { adminSecret: plane.adminSecret }),
    ...(accounts && { accounts }),
    ...(plane && { auth: { auth: plane.auth, verifier: plane.verifier } }),
    listening: () => [
      ['registry', bound],
      ...services
        .slice(1)
        .map((s): [string, string] => [
          s.name,
          plane && s.name === 'auth' ? `${s.server.address} ${AUTH_ON}` : s.server.address,
        ]),
      ...(options.mdns ? [['mdns', 'announcing the registry on the LAN'] as [string, string]] : []),
    ],
    async stop() {
      clearInterval(announce);
      if (announcer) {
        await announcer.deregister(registryService.server.record()).catch(() => undefined);
        await announcer.close();
      }
      await supervisor?.stopAll();
      store?.close();
      for (const s of services.reverse()) await tracing.stop(s);
      // The last events (the supervised services' stops) are published before events close.
      announced.stop();
      await emitter?.settled();
      delete context.emit;
      traceStore = undefined;
      await plane?.close();
      for (const h of hosted) await h.close();
      await probe.close();
      await close();
    },
  };
}
