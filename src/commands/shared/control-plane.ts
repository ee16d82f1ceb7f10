import { setFlagsFromString } from 'node:v8';
import { startControlPlane, type ControlPlane } from '../../controlplane/index.ts';
import { loadSqliteBinding } from '../../native/sqlite.ts';
import { printable } from '../../registry/printable.ts';
import { conflict } from '../../runtime/errors.ts';
import type { GatewayOptions } from '../../proxy/proxy.ts';
import type { EdgeAuth } from '../../proxy/auth/edge.ts';
import type { TokenGetter } from '../../registry/micro.ts';
import type { DashboardOptions } from './dashboard.ts';
import type { PluginArgs } from './connect.ts';
import { engineAddress } from './options.ts';
import { selfInvocation } from './self.ts';
import { untilSignal } from './signals.ts';

/** Options for running the control plane from a command. */
export interface ServeOptions {
  /** Where the control plane (the `registry` service) listens. */
  address: string;
  dataDir: string;
  mdns: boolean;
  supervise: boolean;
  /**
   * The registry, broker and transport chosen by the global options. A registry other than micro
   * is served instead of SQLite, and services micro runs are pointed at it; without this, or with
   * micro, the control plane is the registry.
   */
  plugins?: PluginArgs;
  /** Enforce auth (`--auth`, MICRO_AUTH=on); the first start prints the admin secret once. */
  auth?: boolean;
  /** Where to serve the web dashboard; none serves no dashboard. */
  web?: string;
  /** The API gateway's options; none serves no gateway. */
  api?: GatewayOptions;
  /**
   * The flag that moves the control plane, named when its address is taken: --control-address
   * when supervising (micro run), else --registry-address.
   */
  addressFlag?: string;
  /** TLS between services and on the gateway (micro run --tls; mutual with --mtls). */
  tls?: { mutual?: boolean };
}

/** True when the registry lives in the control plane's process, so others must go through it. */
const local = (registry: string): boolean => registry === 'micro' || registry === 'memory';

/**
 * The MICRO_* variables that give a service the chosen broker and transport, and the registry
 * unless it lives in the control plane (then the caller points it there). An engine chosen without
 * an address comes with its default one (etcd 127.0.0.1:2379, nats 127.0.0.1:4222, redis
 * 127.0.0.1:6379), so that no other setting (the control plane's own address) stands in for it.
 */
export async function servicesEnvironment(p: PluginArgs): Promise<Record<string, string>> {
  const { registryAddress } = await import('./connect.ts');
  const env: Record<string, string> = {};
  const set = (name: string, value: string | undefined): void => {
    if (value) env[name] = value;
  };
  if (!local(p.registry)) {
    set('MICRO_REGISTRY', p.registry);
    set('MICRO_REGISTRY_ADDRESS', engineAddress(p.registry, registryAddress(p)));
  }
  if (p.broker) {
    set('MICRO_BROKER', p.broker);
    set('MICRO_BROKER_ADDRESS', engineAddress(p.broker, p.brokerAddress));
  }
  if (p.transport) {
    set('MICRO_TRANSPORT', p.transport);
    set('MICRO_TRANSPORT_ADDRESS', engineAddress(p.transport, p.transportAddress));
  }
  return env;
}

/** Starts the control plane over the chosen registry (SQLite unless one is chosen), with the right SQLite addon for this build. */
export async function openControlPlane(o: ServeOptions): Promise<ControlPlane> {
  try {
    return await open(o);
  } catch (err) {
    const e = err as { code?: unknown; id?: unknown; detail?: unknown };
    if (e.code !== 409 || typeof e.detail !== 'string') throw err;
    const flag = o.addressFlag ?? (o.supervise ? '--control-address' : '--registry-address');
    throw Object.assign(
      conflict(
        String(e.id),
        `${e.detail}; stop that one, or start this one at another address with ${flag} (MICRO_${flag.slice(2).toUpperCase().replaceAll('-', '_')}) and point commands at it with --registry-address`,
      ),
      { cause: err },
    );
  }
}

async function open(o: ServeOptions): Promise<ControlPlane> {
  const plugins = o.plugins;
  const env = plugins ? await servicesEnvironment(plugins) : {};
  if (!plugins || plugins.registry === 'micro') {
    return startControlPlane({
      address: o.address,
      dataDir: o.dataDir,
      nativeBinding: loadSqliteBinding(),
      mdns: o.mdns,
      supervise: o.supervise ? selfInvocation() : false,
      env,
      tls: o.tls,
      auth: o.auth === true,
    });
  }
  const { openRegistry } = await import('./connect.ts');
  const registry = await openRegistry(plugins);
  try {
    const cp = await startControlPlane({
      address: o.address,
      dataDir: o.dataDir,
      registry,
      mdns: o.mdns,
      supervise: o.supervise ? selfInvocation() : false,
      nativeBinding: o.supervise ? loadSqliteBinding() : undefined,
      env,
      tls: o.tls,
      auth: o.auth === true,
    });
    return {
      ...cp,
      registry,
      listening: () =>
        cp
          .listening()
          .map(([part, where]): [string, string] => [
            part,
            part === 'registry'
              ? `${where} (serving ${registry.name} at ${registry.address})`
              : where,
          ]),
      async stop() {
        await cp.stop();
        await registry.close();
      },
    };
  } catch (err) {
    await registry.close();
    throw err;
  }
}

/** Runs the control plane in the foreground until Ctrl-C, printing where each part listens. */
export async function serveControlPlane(o: ServeOptions): Promise<void> {
  leanHeap();
  const cp = await openControlPlane(o);
  // This process's clients (the gateway's, the dashboard's) dial TLS services with its certificate.
  if (cp.tls) Object.assign(process.env, cp.tls.env);
  const edge = o.api || o.web ? await edgeAuth(cp, o.api !== undefined) : undefined;
  const api = o.api
    ? await (
        await import('./api-options.ts')
      ).apiPart(
        {
          ...o.api,
          ...(cp.tls && { tls: { key: cp.tls.server.key, cert: cp.tls.server.cert } }),
          ...(edge && { auth: edge.gateway }),
        },
        cp.address,
        edge?.registryToken,
      )
    : undefined;
  const web = o.web
    ? await (
        await import('./dashboard.ts')
      ).dashboardPart(o.web, cp.registry, {
        ...(edge && { auth: edge.dashboard }),
        ...(api?.url !== undefined && { gateway: api.url }),
      })
    : undefined;
  process.stdout.write(`micro is running (data in ${o.dataDir})\n`);
  const parts = [
    ...cp.listening(),
    ...(api ? [['api', api.where] as const] : []),
    // What an agent connects to (docs/mcp.md); MICRO_MCP=off turns it off.
    ...(api?.url !== undefined && process.env.MICRO_MCP !== 'off'
      ? [['mcp', `${api.url}/mcp (micro mcp serve for stdio)`] as const]
      : []),
    ...(web ? [['web', web.where] as const] : []),
  ];
  for (const [part, where] of parts) process.stdout.write(`  ${part.padEnd(10)} ${where}\n`);
  if (cp.tls)
    process.stdout.write(
      `  ${'tls'.padEnd(10)} on${o.tls?.mutual ? ' (mutual)' : ''}; CA ${cp.tls.caPath} (micro tls ca)\n`,
    );
  await printAdminSecret(cp);
  reportRestored(cp);
  // Listening before saying so: a Ctrl-C sent as soon as the line is read must be caught.
  const signalled = untilSignal();
  process.stdout.write('Press Ctrl-C to stop.\n');
  await signalled;
  process.stdout.write('stopping...\n');
  await web?.close();
  await api?.close();
  await cp.stop();
}

/** What the gateway and the dashboard of `micro run --auth` verify tokens and log users in with. */
interface EdgeAuths {
  gateway: EdgeAuth;
  dashboard: NonNullable<DashboardOptions['auth']>;
  /** The gateway account's token, for reading the registry (never printed); none without a gateway. */
  registryToken?: TokenGetter;
}

/**
 * With auth on, the control plane's own Auth and verifier for its gateway and dashboard, and (when
 * it serves a gateway) a token of the `micro-gateway` service account (a fresh secret each start,
 * in memory only) for the gateway's registry reads; undefined with auth off.
 */
async function edgeAuth(cp: ControlPlane, gateway: boolean): Promise<EdgeAuths | undefined> {
  if (!cp.auth || !cp.accounts) return undefined;
  const [{ tokenSource }, { GATEWAY_ACCOUNT }] = await Promise.all([
    import('../../platform/auth/token-source.ts'),
    import('../../controlplane/service-accounts.ts'),
  ]);
  const { auth, verifier } = cp.auth;
  const tokens = gateway
    ? tokenSource({ auth }, await cp.accounts.account(GATEWAY_ACCOUNT))
    : undefined;
  return {
    gateway: { auth, verifier, issuer: process.env.MICRO_AUTH_ISSUER || undefined },
    dashboard: { auth, verifier },
    ...(tokens && { registryToken: () => tokens.token() }),
  };
}

/**
 * Has V8 size its heap for memory rather than speed, as a long-lived control plane wants: under
 * registry churn the default growth let garbage take the heap to 2-3x what it holds, and V8 kept
 * those pages after the churn ended.
 */
function leanHeap(): void {
  if (process.env.MICRO_LEAN_HEAP !== '0') setFlagsFromString('--optimize-for-size');
}

/** Prints, once (the start that created it), the admin account's secret, on stdout only. */
export async function printAdminSecret(cp: ControlPlane): Promise<void> {
  if (cp.adminSecret === undefined) return;
  const { bootstrapLines } = await import('../../platform/auth/bootstrap.ts');
  process.stdout.write(`${bootstrapLines(cp.adminSecret).join('\n')}\n`);
}

/** Says which services `micro run -d` had started were started again, and which were forgotten. */
function reportRestored(cp: ControlPlane): void {
  const { started, forgotten } = cp.restored;
  if (started.length > 0)
    process.stdout.write(
      printable(
        `  ${'restored'.padEnd(10)} ${started.map((p) => p.name).join(', ')} (micro ps lists them)\n`,
      ),
    );
  for (const f of forgotten)
    process.stderr.write(
      printable(`micro: forgot ${f.name}, started before with micro run -d: ${f.reason}\n`),
    );
}
