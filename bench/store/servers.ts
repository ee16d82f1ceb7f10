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
import { cleanEnv, type Child, type Children } from '../lib/processes.ts';

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

/** The started servers, and a stop of them all (by PID) that removes their folders. */
export interface Servers {
  servers: Map<ServerKind, Started>;
  stop(): Promise<void>;
}

/** NODE_OPTIONS for the control plane and the sidecar: BENCH_CP_NODE_OPTIONS (e.g. --cpu-prof). */
const nodeOptions = (): Record<string, string> => {
  const options = process.env.BENCH_CP_NODE_OPTIONS;
  return options ? { NODE_OPTIONS: options } : {};
};

/**
 * Starts the servers of kinds (the sidecar brings the control plane) as children of children and
 * resolves with each; when one cannot start, those started are stopped and the error thrown.
 */
export async function startServers(children: Children, kinds: Set<ServerKind>): Promise<Servers> {
  const servers = new Map<ServerKind, Started>();
  const engines: EngineServer[] = [];
  const started: Child[] = [];
  const dataDir = mkdtempSync(join(os.tmpdir(), 'micro-bench-store-'));
  const stop = async (): Promise<void> => {
    for (const c of started.reverse()) await children.stop(c);
    for (const e of engines) await e.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const engine = async (kind: ServerKind, start: typeof startEtcd, what: string) => {
    const e = await start(children);
    engines.push(e);
    servers.set(kind, {
      address: e.address,
      pids: [e.child.pid],
      label: `${what} ${e.version} pid ${e.child.pid} at ${e.address}`,
    });
  };
  try {
    if (kinds.has('redis')) await engine('redis', startRedisServer, 'redis-server');
    if (kinds.has('etcd')) await engine('etcd', startEtcd, 'etcd');
    if (kinds.has('cp') || kinds.has('sidecar')) {
      const env = cleanEnv(nodeOptions());
      const { child, address } = await startControlPlane(children, NODE, [MICRO], dataDir, env);
      started.push(child);
      servers.set('cp', {
        address,
        pids: [child.pid],
        label: `control plane (node bin/micro.ts registry, SQLite) pid ${child.pid} at ${address}`,
      });
    }
    const cp = servers.get('cp');
    if (kinds.has('sidecar') && cp) {
      const env = cleanEnv({
        ...nodeOptions(),
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
      started.push(sidecar);
      const address = await sidecar.line(sidecarIn, 30_000);
      servers.set('sidecar', {
        address,
        pids: [sidecar.pid, ...cp.pids],
        label: `micro sidecar pid ${sidecar.pid} at ${address} (its store: the control plane)`,
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { servers, stop };
}
