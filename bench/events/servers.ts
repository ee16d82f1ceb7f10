// The servers the events benchmark starts, each a child ended by its PID, on 127.0.0.1 and free
// ports: redis-server (no persistence), nats-server with JetStream (file storage in a temporary
// folder), and the control plane (`node bin/micro.ts registry`, data in a temporary folder: its
// events service serves SQLite).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { NODE, ROOT } from '../lib/binary.ts';
import { startControlPlane } from '../lib/control-plane.ts';
import { startRedisServer, type EngineServer } from '../lib/engine-server.ts';
import { startNatsServer, type NatsServer } from '../lib/nats-server.ts';
import { cleanEnv, type Child, type Children } from '../lib/processes.ts';
import type { ServerKind } from './contenders.ts';

/** A started server: what clients connect to, and the PIDs whose CPU time its events cost. */
export interface Started {
  address: string;
  pids: number[];
  /** For the header: what it is and where. */
  label: string;
}

/** The started servers, and a stop of them all (by PID) that removes their folders. */
export interface Servers {
  servers: Map<ServerKind, Started>;
  stop(): Promise<void>;
}

/** NODE_OPTIONS for the control plane: BENCH_CP_NODE_OPTIONS (e.g. --cpu-prof). */
const nodeOptions = (): Record<string, string> => {
  const options = process.env.BENCH_CP_NODE_OPTIONS;
  return options ? { NODE_OPTIONS: options } : {};
};

/** Starts the servers of kinds; when one cannot start, those started are stopped and the error thrown. */
export async function startServers(children: Children, kinds: Set<ServerKind>): Promise<Servers> {
  const servers = new Map<ServerKind, Started>();
  const engines: (EngineServer | NatsServer)[] = [];
  const started: Child[] = [];
  const dataDir = mkdtempSync(join(os.tmpdir(), 'micro-bench-events-'));
  const stop = async (): Promise<void> => {
    for (const c of started.reverse()) await children.stop(c);
    for (const e of engines) await e.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    if (kinds.has('redis')) {
      const e = await startRedisServer(children);
      engines.push(e);
      servers.set('redis', {
        address: e.address,
        pids: [e.child.pid],
        label: `redis-server ${e.version} (no persistence) pid ${e.child.pid} at ${e.address}`,
      });
    }
    if (kinds.has('nats')) {
      const e = await startNatsServer(children, { jetstream: true });
      engines.push(e);
      servers.set('nats', {
        address: e.address,
        pids: [e.child.pid],
        label: `nats-server ${e.version} -js (file storage) pid ${e.child.pid} at ${e.address}`,
      });
    }
    if (kinds.has('cp')) {
      const env = cleanEnv(nodeOptions());
      const micro = join(ROOT, 'bin/micro.ts');
      const { child, address } = await startControlPlane(children, NODE, [micro], dataDir, env);
      started.push(child);
      servers.set('cp', {
        address,
        pids: [child.pid],
        label: `control plane (node bin/micro.ts registry, SQLite) pid ${child.pid} at ${address}`,
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { servers, stop };
}
