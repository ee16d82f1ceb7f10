import type { Arguments, Argv } from 'yargs';

/** Options every command understands; each also reads MICRO_<NAME> from the environment. */
export interface GlobalArgs {
  registry: string;
  registryAddress: string;
  broker: string;
  brokerAddress?: string;
  transport: string;
  transportAddress?: string;
  store: string;
  storeAddress?: string;
  config: string;
  configAddress?: string;
  sync: string;
  syncAddress?: string;
  db: string;
  dbAddress?: string;
  events: string;
  eventsAddress?: string;
  output: 'text' | 'json';
  dataDir: string;
}

/** Default address of the control plane (registry and platform services). */
export const CONTROL_PLANE = '127.0.0.1:8000';

/** Where each engine is when no address is given: what its plugins dial by default. */
export const ENGINE_ADDRESSES: Readonly<Record<string, string>> = {
  etcd: '127.0.0.1:2379',
  nats: '127.0.0.1:4222',
  jetstream: '127.0.0.1:4222',
  redis: '127.0.0.1:6379',
  postgres: '127.0.0.1:5432',
};

/**
 * The address to give the registry: --registry-address, except that the control plane's default
 * (127.0.0.1:8000) means "unset" for other registries, so `--registry etcd` alone finds etcd at its
 * own default port instead of dialling micro's.
 */
export function registryAddress(
  args: Pick<GlobalArgs, 'registry' | 'registryAddress'>,
): string | undefined {
  return args.registry !== 'micro' && args.registryAddress === CONTROL_PLANE
    ? undefined
    : args.registryAddress;
}

/** The address given, else the engine's default (undefined for plugins that dial no engine). */
export function engineAddress(engine: string, given?: string): string | undefined {
  return given || (Object.hasOwn(ENGINE_ADDRESSES, engine) ? ENGINE_ADDRESSES[engine] : undefined);
}

/** Adds the global options to a yargs instance. */
export function withGlobalOptions<T>(y: Argv<T>): Argv<T & GlobalArgs> {
  return y
    .option('registry', {
      type: 'string',
      default: 'micro',
      describe:
        'registry implementation: micro (the control plane), etcd, nats, mdns or memory [MICRO_REGISTRY]',
      global: true,
    })
    .option('registry-address', {
      type: 'string',
      default: CONTROL_PLANE,
      describe:
        'address of the registry; etcd and nats default to 127.0.0.1:2379 and 127.0.0.1:4222 [MICRO_REGISTRY_ADDRESS]',
      global: true,
    })
    .option('broker', {
      type: 'string',
      default: 'http',
      describe:
        'broker implementation: http (peer to peer through the registry), nats, jetstream, redis or memory [MICRO_BROKER]',
      global: true,
    })
    .option('broker-address', {
      type: 'string',
      describe:
        "address of the broker's server (nats: 127.0.0.1:4222, redis: 127.0.0.1:6379 if unset) [MICRO_BROKER_ADDRESS]",
      global: true,
    })
    .option('transport', {
      type: 'string',
      default: 'tcp',
      describe:
        'transport implementation for calls: tcp, http or nats (no open port) [MICRO_TRANSPORT]',
      global: true,
    })
    .option('transport-address', {
      type: 'string',
      describe:
        "address of the transport's server, for transports through one (nats: 127.0.0.1:4222 if unset) [MICRO_TRANSPORT_ADDRESS]",
      global: true,
    })
    .option('store', {
      type: 'string',
      default: 'micro',
      describe:
        "store (kv) implementation: micro (the control plane's), etcd, redis, nats or memory [MICRO_STORE]",
      global: true,
    })
    .option('store-address', {
      type: 'string',
      describe:
        "address of the store's engine (its default port if unset); micro: the control plane's [MICRO_STORE_ADDRESS]",
      global: true,
    })
    .option('config', {
      type: 'string',
      default: 'micro',
      describe: "config implementation: micro (the control plane's), etcd or memory [MICRO_CONFIG]",
      global: true,
    })
    .option('config-address', {
      type: 'string',
      describe:
        "address of config's engine (its default port if unset); micro: the control plane's [MICRO_CONFIG_ADDRESS]",
      global: true,
    })
    .option('sync', {
      type: 'string',
      default: 'micro',
      describe:
        "sync (locks, leaders) implementation: micro (the control plane's), etcd, redis or memory [MICRO_SYNC]",
      global: true,
    })
    .option('sync-address', {
      type: 'string',
      describe:
        "address of sync's engine (its default port if unset); micro: the control plane's [MICRO_SYNC_ADDRESS]",
      global: true,
    })
    .option('db', {
      type: 'string',
      default: 'micro',
      describe:
        "database (micro db, service.db) implementation: micro (the control plane's), postgres or memory [MICRO_DB]",
      global: true,
    })
    .option('db-address', {
      type: 'string',
      describe:
        "address of the database's engine (postgres: a postgres:// URL or host:port, 127.0.0.1:5432 if unset); micro: the control plane's [MICRO_DB_ADDRESS]",
      global: true,
    })
    .option('events', {
      type: 'string',
      default: 'micro',
      describe:
        "events (durable topics) implementation: micro (the control plane's), jetstream, redis or memory [MICRO_EVENTS]",
      global: true,
    })
    .option('events-address', {
      type: 'string',
      describe:
        "address of the events' engine (its default port if unset); micro: the control plane's [MICRO_EVENTS_ADDRESS]",
      global: true,
    })
    .option('output', {
      alias: 'o',
      choices: ['text', 'json'] as const,
      default: 'text' as const,
      describe: 'output format of listing commands [MICRO_OUTPUT]',
      global: true,
    })
    .option('data-dir', {
      type: 'string',
      default: defaultDataDir(),
      describe: 'where micro keeps its database and logs [MICRO_DATA_DIR]',
      global: true,
    }) as unknown as Argv<T & GlobalArgs>;
}

/** ~/.micro, or a temporary folder when there is no home directory. */
export function defaultDataDir(): string {
  const home = process.env.HOME ?? process.env.USERPROFILE;
  return home ? `${home}/.micro` : `${process.env.TMPDIR ?? '/tmp'}/micro`;
}

/**
 * Drops MICRO_* environment variables that name no option of the command being run (such as a
 * service's MICRO_SERVER_ADDRESS), so that strict parsing only rejects unknown flags typed by the user.
 */
export function ignoreForeignEnvironment(argv: Arguments, y: unknown): void {
  const options = (y as { getOptions(): { key: Record<string, unknown> } }).getOptions();
  const known = new Set(Object.keys(options.key));
  for (const name of Object.keys(process.env)) {
    if (!name.startsWith('MICRO_')) continue;
    // yargs reads `__` as nesting (MICRO_CONFIG_DB__POOL sets configDb.pool): the head is the key.
    const kebab = (name.slice(6).split('__')[0] ?? '').toLowerCase().replaceAll('_', '-');
    const camel = kebab.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
    if (known.has(kebab) || known.has(camel)) continue;
    delete argv[kebab];
    delete argv[camel];
  }
}

/**
 * Makes --broker, --transport, --store, --config, --sync, --events and --db (and their addresses) what the
 * library's defaults read in this process, so that whatever a command starts (the control plane,
 * the gateway, the dashboard, the explorer, the sidecar) uses what the flags say, and services it
 * runs inherit them.
 */
export function exportPlugins(argv: Arguments): void {
  // The defaults are not exported: a service `micro run -d` hands over keeps the platform's choice
  // unless this command was given another (the broker and transport options default to these).
  const flags = {
    broker: ['MICRO_BROKER', 'http'],
    brokerAddress: ['MICRO_BROKER_ADDRESS', ''],
    transport: ['MICRO_TRANSPORT', 'tcp'],
    transportAddress: ['MICRO_TRANSPORT_ADDRESS', ''],
    store: ['MICRO_STORE', 'micro'],
    storeAddress: ['MICRO_STORE_ADDRESS', ''],
    config: ['MICRO_CONFIG', 'micro'],
    configAddress: ['MICRO_CONFIG_ADDRESS', ''],
    sync: ['MICRO_SYNC', 'micro'],
    syncAddress: ['MICRO_SYNC_ADDRESS', ''],
    db: ['MICRO_DB', 'micro'],
    dbAddress: ['MICRO_DB_ADDRESS', ''],
    events: ['MICRO_EVENTS', 'micro'],
    eventsAddress: ['MICRO_EVENTS_ADDRESS', ''],
  };
  for (const [flag, [variable = '', fallback]] of Object.entries(flags)) {
    const value = argv[flag];
    if (typeof value === 'string' && value !== '' && value !== fallback)
      process.env[variable] = value;
  }
}

/**
 * Stops yargs from rendering the running command's whole help text as its handler starts (about
 * 20 ms), text it keeps only for a showHelp() after that; micro shows no help once a command runs
 * (its fail handler prints the message alone). Other yargs versions keep their default.
 */
export function skipHelpCache(y: unknown): void {
  type Usage = { cacheHelpMessage?: () => void };
  const internal = y as { getInternalMethods?: () => { getUsageInstance?: () => Usage } };
  const usage = internal.getInternalMethods?.().getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}
