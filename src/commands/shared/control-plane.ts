import { startControlPlane, type ControlPlane } from '../../controlplane/index.ts';
import { loadSqliteBinding } from '../../native/sqlite.ts';
import { selfInvocation } from './self.ts';
import { untilSignal } from './signals.ts';

/** Options for running the control plane from a command. */
export interface ServeOptions {
  address: string;
  dataDir: string;
  mdns: boolean;
  supervise: boolean;
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
  process.stdout.write(`micro is running (data in ${o.dataDir})\n`);
  for (const [part, where] of cp.listening())
    process.stdout.write(`  ${part.padEnd(10)} ${where}\n`);
  process.stdout.write('Press Ctrl-C to stop.\n');
  await untilSignal();
  process.stdout.write('stopping...\n');
  await cp.stop();
}
