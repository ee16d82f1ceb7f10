import { defineCommand } from './shared/command.ts';
import { parseDuration } from './shared/input.ts';
import { list } from './shared/api-options.ts';
import { DEFAULTS } from '../proxy/options.ts';
import { parseAddress } from '../runtime/transport/address.ts';

/** `micro sidecar`: the registry, calls and the broker over plain HTTP, and Dapr's HTTP API, for apps in any language. */
export const sidecarCommand = defineCommand({
  command: 'sidecar',
  describe: "Serve micro and Dapr's HTTP API to apps in any language",
  builder: (y) =>
    y
      .option('sidecar-address', {
        type: 'string',
        default: '127.0.0.1:8081',
        describe: 'where to listen [MICRO_SIDECAR_ADDRESS]',
      })
      .option('server-name', {
        alias: 'server_name',
        type: 'string',
        describe: 'register the local app under this service name [MICRO_SERVER_NAME]',
      })
      .option('server-address', {
        alias: 'server_address',
        type: 'string',
        describe: 'host:port where the app answers POST / [MICRO_SERVER_ADDRESS]',
      })
      .option('healthcheck-url', {
        alias: 'healthcheck_url',
        type: 'string',
        describe: "the app's health URL; a failing check deregisters it [MICRO_HEALTHCHECK_URL]",
      })
      .option('healthcheck-interval', {
        type: 'string',
        default: '5s',
        describe: 'how often to check it [MICRO_HEALTHCHECK_INTERVAL]',
      })
      .option('sidecar-token', {
        alias: 'token',
        type: 'string',
        describe:
          'a token every request must carry; required unless the address is loopback [MICRO_SIDECAR_TOKEN]',
      })
      .option('sidecar-cors', {
        type: 'string',
        default: '',
        describe:
          'origins whose web pages may call the sidecar, comma separated, or *; pages from others get 403 [MICRO_SIDECAR_CORS]',
      })
      .option('sidecar-deny', {
        type: 'string',
        describe: `services the sidecar never calls or registers, comma separated; '' for none (default: the control plane's ${DEFAULTS.deny.join(',')}) [MICRO_SIDECAR_DENY]`,
      })
      .option('sidecar-pubsub', {
        type: 'string',
        default: 'pubsub',
        describe:
          "Dapr pubsub names the sidecar accepts, comma separated; all publish to micro's durable events [MICRO_SIDECAR_PUBSUB]",
      })
      .option('resiliency', {
        type: 'string',
        alias: 'resources-path',
        describe:
          "a Dapr Resiliency file (or a directory holding one, as daprd's --resources-path) whose timeouts, retries and breakers apply to the sidecar's calls [MICRO_RESILIENCY]",
      })
      .example(
        'micro sidecar --server-name greeter --server-address 127.0.0.1:9000 --healthcheck-url http://127.0.0.1:9000/health',
        '',
      ),
  handler: async (args) => {
    if (args.serverName !== undefined && !args.serverAddress) {
      throw new TypeError(
        '--server-name needs --server-address, where the app answers POST / with Micro-Endpoint',
      );
    }
    // Checked before connecting to anything, so that the refusal is all that happens.
    const [{ requireToken }, { authEnabled }] = await Promise.all([
      import('../proxy/sidecar/guard.ts'),
      import('../platform/auth/enforce.ts'),
    ]);
    // With auth on, every request needs a JWT: that stands in for the static token.
    const on = authEnabled(process.env);
    requireToken(
      parseAddress(args.sidecarAddress).host,
      args.sidecarToken ?? (on ? 'auth' : undefined),
    );
    const { resiliencyPolicy } = await import('./shared/resiliency.ts');
    const policy = await resiliencyPolicy(args.resiliency, args.serverName);
    const [
      { openBroker, openRegistry, openTransport },
      { startSidecar },
      { createClient },
      { connectOnPublish },
      { createLogger },
      { untilSignal },
      { storeFromEnv },
      { configFromEnv },
      { syncFromEnv },
      { eventsFromEnv },
      { VERSION },
      { badRequest },
      { edgeAuthFromEnv },
      { tracingFromEnv },
      { createSelector },
      { edgeRouting },
    ] = await Promise.all([
      import('./shared/connect.ts'),
      import('../proxy/sidecar/index.ts'),
      import('../runtime/client/rpc-client.ts'),
      import('../runtime/broker/index.ts'),
      import('../platform/logs/logger.ts'),
      import('./shared/signals.ts'),
      import('../platform/store/index.ts'),
      import('../platform/config/index.ts'),
      import('../platform/sync/index.ts'),
      import('../platform/events/index.ts'),
      import('./shared/version.ts'),
      import('../runtime/errors.ts'),
      import('../proxy/auth/env.ts'),
      import('../platform/trace/enable.ts'),
      import('../runtime/selector/cache.ts'),
      import('../proxy/routing.ts'),
    ]);
    const registry = await openRegistry(args);
    // MICRO_AUTH=on: tokens required, and the platform calls made as the sidecar's own account.
    const auth = edgeAuthFromEnv(process.env, {
      registry,
      id: 'micro.sidecar',
      onError: (err) => process.stderr.write(`sidecar: auth: ${err.message}\n`),
    });
    // --broker and --transport as for every command: an app behind the sidecar publishes and
    // subscribes through NATS or Redis, and calls nodes over NATS, when micro runs on them.
    const broker = await openBroker(args, registry);
    await broker.connect();
    const transport = await openTransport(args);
    // Traced as the service `sidecar` (unless MICRO_TRACE=off), its spans outside auth's wrappers.
    const logger = createLogger({ service: 'sidecar' });
    const tracing = tracingFromEnv(process.env, {
      service: 'sidecar',
      node: `sidecar-${crypto.randomUUID()}`,
      client: () => client,
      logger,
    });
    // Its own, so that GET /metrics shows the circuits of its client.
    const selector = createSelector({ registry, policy });
    // Traffic rules (unless MICRO_ROUTES=off), read through its own client (with its token).
    let routing: ReturnType<typeof edgeRouting>;
    try {
      routing = edgeRouting(
        {
          ...process.env,
          ...(args.config && { MICRO_CONFIG: args.config }),
          ...(args.configAddress && { MICRO_CONFIG_ADDRESS: args.configAddress }),
        },
        registry,
        () => client,
      );
    } catch (err) {
      // A bad MICRO_ROUTES*: nothing may keep the process alive once the error is printed.
      await auth?.close();
      await tracing?.shutdown();
      await broker.disconnect();
      await registry.close();
      throw err;
    }
    const client = createClient({
      registry,
      selector,
      transport,
      broker: connectOnPublish(broker),
      name: 'micro.sidecar',
      policy,
      wrappers: [tracing?.wrapCall, routing?.wrapCall, auth?.enforcement.wrapCall].filter(
        (w) => w !== undefined,
      ),
      streamWrappers: [
        tracing?.wrapStream,
        routing?.wrapStream,
        auth?.enforcement.wrapStream,
      ].filter((w) => w !== undefined),
      publishWrappers: [tracing?.wrapPublish, auth?.enforcement.wrapPublish].filter(
        (w) => w !== undefined,
      ),
    });
    // Dapr's pub/sub, state, configuration and lock APIs use them (MICRO_EVENTS, MICRO_STORE,
    // MICRO_CONFIG, MICRO_SYNC: the control plane's services by default), connecting on first call.
    const env = {
      ...process.env,
      ...(args.store && { MICRO_STORE: args.store }),
      ...(args.storeAddress && { MICRO_STORE_ADDRESS: args.storeAddress }),
      ...(args.config && { MICRO_CONFIG: args.config }),
      ...(args.configAddress && { MICRO_CONFIG_ADDRESS: args.configAddress }),
      ...(args.sync && { MICRO_SYNC: args.sync }),
      ...(args.syncAddress && { MICRO_SYNC_ADDRESS: args.syncAddress }),
      ...(args.events && { MICRO_EVENTS: args.events }),
      ...(args.eventsAddress && { MICRO_EVENTS_ADDRESS: args.eventsAddress }),
    };
    const closeRuntime = async (): Promise<void> => {
      await routing?.close();
      await auth?.close();
      await tracing?.shutdown();
      await client.close();
      await broker.disconnect();
      await registry.close();
    };
    let platform;
    try {
      platform = {
        store: storeFromEnv(env, { client, database: args.serverName ?? 'micro' }),
        config: configFromEnv(env, { client }),
        sync: syncFromEnv(env, { client, id: args.serverName ?? 'micro.sidecar' }),
        events: eventsFromEnv(env, { client, from: args.serverName ?? 'micro.sidecar' }),
      };
    } catch (err) {
      // An unknown --store, --config, --sync or --events: a 400 naming the ones there are.
      await closeRuntime();
      throw badRequest('micro.cli', (err as Error).message);
    }
    const { store, config, sync, events } = platform;
    const closeAll = async (): Promise<void> => {
      await events.close();
      await sync.close();
      await config.close();
      await store.close();
      await closeRuntime();
    };
    const sidecar = await startSidecar({
      address: args.sidecarAddress,
      registry,
      client,
      broker,
      token: args.sidecarToken,
      auth,
      cors: list(args.sidecarCors),
      pubsubs: list(args.sidecarPubsub),
      deny: args.sidecarDeny === undefined ? undefined : list(args.sidecarDeny),
      logger,
      tracer: tracing?.tracer,
      routing,
      events,
      store,
      config,
      sync,
      circuits: () => selector.circuits?.() ?? [],
      version: `micro ${VERSION}`,
      app: args.serverName
        ? {
            name: args.serverName,
            address: args.serverAddress ?? '',
            healthcheckUrl: args.healthcheckUrl,
            interval: parseDuration(args.healthcheckInterval, 'healthcheck-interval'),
          }
        : undefined,
    }).catch(async (err: unknown) => {
      await closeAll();
      throw err;
    });
    const signalled = untilSignal();
    process.stdout.write(
      `sidecar listening on ${sidecar.address} (registry: ${registry.name} at ${registry.address})\n`,
    );
    await signalled;
    await sidecar.close();
    await closeAll();
  },
});
