import { startControlPlane, type ControlPlane } from '../../controlplane/index.ts';
import { loadSqliteBinding } from '../../native/sqlite.ts';
import type { GatewayOptions } from '../../proxy/proxy.ts';
import { selfInvocation } from './self.ts';
import { untilSignal } from './signals.ts';

/** Options for running the control plane from a command. */
export interface ServeOptions {
  address: string;
  dataDir: string;
  mdns: boolean;
  supervise: boolean;
  /** Where to serve the web dashboard; none serves no dashboard. */
  web?: string;
  /** The API gateway's options; none serves no gateway. */
  api?: GatewayOptions;
}

/** Starts the control plane with the right SQLite addon for this build. */
export async function openControlPlane(o: ServeOptions): Promise<ControlPlane> {
  return startControlPlane({
    address: o.address,
    dataDir: o.dataDir,
    nativeBinding: loadSqliteBinding(),
    mdns: o.mdns,
    supervise: o.supervise ? selfInvocation() : false,
  });
}

/** Runs the control plane in the foreground until Ctrl-C, printing where each part listens. */
export async function serveControlPlane(o: ServeOptions): Promise<void> {
  const cp = await openControlPlane(o);
  const api = o.api
    ? await (await import('./api-options.ts')).apiPart(o.api, cp.address)
    : undefined;
  const web = o.web
    ? await (await import('./dashboard.ts')).dashboardPart(o.web, cp.registry)
    : undefined;
  process.stdout.write(`micro is running (data in ${o.dataDir})\n`);
  const parts = [
    ...cp.listening(),
    ...(api ? [['api', api.where] as const] : []),
    ...(web ? [['web', web.where] as const] : []),
  ];
  for (const [part, where] of parts) process.stdout.write(`  ${part.padEnd(10)} ${where}\n`);
  process.stdout.write('Press Ctrl-C to stop.\n');
  await untilSignal();
  process.stdout.write('stopping...\n');
  await web?.close();
  await api?.close();
  await cp.stop();
}
