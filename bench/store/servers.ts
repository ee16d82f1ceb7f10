// The servers the store benchmark starts, each a child ended by its PID, on 127.0.0.1: the engines
// (redis-server, etcd) that the contenders chosen need, the control plane (`node bin/micro.ts
// registry`, data in a temporary folder: its store and config services serve SQLite), and `micro
// sidecar` pointed at it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { NODE, ROOT } from '../lib/binary.ts';
import { startControlPlane } from '../lib/control-plane.ts';
import { startEtcd, startRedisServer, type EngineServer } from '../lib/engine-server.ts';
import { cleanEnv, type Children } from '../lib/processes.ts';

/** Which server a contender talks to. */
export type ServerKind = 'redis' | 'etcd' | 'cp' | 'sidecar';

/** A started server: what clients connect to, and the PIDs whose CPU time its calls cost. */
export interface Started {
  address: string;
  pids: number[];
  /** For the header: what it is and where. */
  label: string;
}

const MICRO = join(ROOT, 'bin/micro.ts');

/** The address in `micro sidecar`'s start-up line. */
const sidecarIn = (line: string): string | undefined =>
  /^sidecar listening on (\S+)/.exec(line)?.[1];

/**
 * Starts the servers of kinds (the sidecar brings the control plane) and resolves with each;
 * cleanup removes the control plane's data folder (the children are stopped by their owner).
 */
export async function startServers(
  children: Children,
  kinds: Set<ServerKind>,
): Promise<{ servers: Map<ServerKind, Started>; cleanup: () => void }> {
  const servers = new Map<ServerKind, Started>();
  const engine = (kind: ServerKind, e: EngineServer, what: string): void => {
    servers.set(kind, {
      address: e.address,
      pids: [e.child.pid],
      label: `${what} ${e.version} pid ${e.child.pid} at ${e.address}`,
    });
  };
  if (kinds.has('redis')) engine('redis', await startRedisServer(children), 'redis-server');
  if (kinds.has('etcd')) engine('etcd', await startEtcd(children), 'etcd');

  const dataDir = mkdtempSync(join(os.tmpdir(), 'micro-bench-store-'));
  const cleanup = (): void => rmSync(dataDir, { recursive: true, force: true });
  if (kinds.has('cp') || kinds.has('sidecar')) {
    // BENCH_CP_NODE_OPTIONS: node flags for the control plane and the sidecar (e.g. --cpu-prof).
    const options = process.env.BENCH_CP_NODE_OPTIONS;
    const cpEnv = cleanEnv(options ? { NODE_OPTIONS: options } : {});
    const { child, address } = await startControlPlane(children, NODE, [MICRO], dataDir, cpEnv);
    servers.set('cp', {
      address,
      pids: [child.pid],
      label: `control plane (node bin/micro.ts registry, SQLite) pid ${child.pid} at ${address}`,
    });
  }
  const cp = servers.get('cp');
  if (kinds.has('sidecar') && cp) {
    const options = process.env.BENCH_CP_NODE_OPTIONS;
    const env = cleanEnv({
      ...(options && { NODE_OPTIONS: options }),
      MICRO_REGISTRY: 'micro',
      MICRO_REGISTRY_ADDRESS: cp.address,
      MICRO_STORE: 'micro',
      MICRO_STORE_ADDRESS: cp.address,
    });
    const sidecar = children.exec(
      'sidecar',
      NODE,
      [MICRO, 'sidecar', '--sidecar-address', '127.0.0.1:0'],
      { env, echo: false, stderr: 'tail' },
    );
    const address = await sidecar.line(sidecarIn, 30_000);
    servers.set('sidecar', {
      address,
      pids: [sidecar.pid, ...cp.pids],
      label: `micro sidecar pid ${sidecar.pid} at ${address} (its store: the control plane)`,
    });
  }
  return { servers, cleanup };
}
