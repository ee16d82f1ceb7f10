import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';
import { answers, startServerProcess, type RunningServer } from './server-process.ts';

/** A running etcd started by a test; `stop()` also removes its data. */
export type EtcdServer = RunningServer;

/**
 * Starts a real etcd (Debian's etcd-server) on 127.0.0.1 with free client and peer ports and a
 * throwaway data directory, and resolves once its health endpoint says healthy. Rejects, so the
 * test fails, when it cannot. Short election and heartbeat times let etcd grant one-second leases
 * (its minimum is 1.5 elections).
 */
export async function startEtcd(): Promise<EtcdServer> {
  const [client, peer] = [await freePort(), await freePort()];
  const address = `127.0.0.1:${client}`;
  const dir = await mkdtemp(join(tmpdir(), 'micro-etcd-'));
  return startServerProcess({
    command: 'etcd',
    install: 'etcd-server',
    address,
    args: [
      '--name=micro-test',
      `--data-dir=${dir}/data`,
      `--listen-client-urls=http://${address}`,
      `--advertise-client-urls=http://${address}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=micro-test=http://127.0.0.1:${peer}`,
      '--heartbeat-interval=50',
      '--election-timeout=250',
    ],
    ready: () =>
      answers(`http://${address}/health`, (b) => (b as { health?: string }).health === 'true'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
}
