import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';

/** A running etcd started by a test. */
export interface EtcdServer {
  /** `127.0.0.1:<port>` of its client listener. */
  address: string;
  /** Stops it (by PID), waits for it to exit and removes its data. */
  stop(): Promise<void>;
}

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
  let output = '';
  const etcd = spawn(
    'etcd',
    [
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
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  etcd.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  etcd.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const stop = async (): Promise<void> => {
    if (etcd.pid !== undefined && etcd.exitCode === null && etcd.signalCode === null) {
      const gone = new Promise((r) => etcd.once('exit', r));
      process.kill(etcd.pid, 'SIGTERM');
      await gone;
    }
    await rm(dir, { recursive: true, force: true });
  };
  let down = false;
  const exited = new Promise<never>((_, reject) => {
    etcd.on('error', (e) => {
      down = true;
      reject(new Error(`etcd could not start (${e.message}): install etcd-server`));
    });
    etcd.on('exit', (code) => {
      down = true;
      reject(new Error(`etcd exited (${code}): ${output.slice(-2000)}`));
    });
  });
  const deadline = Date.now() + 15_000;
  const healthy = (async () => {
    while (!down) {
      try {
        const res = await fetch(`http://${address}/health`, { signal: AbortSignal.timeout(1000) });
        if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`etcd not healthy within 15 s: ${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  healthy.catch(() => undefined); // when etcd is gone, `exited` tells why
  try {
    await Promise.race([healthy, exited]);
  } catch (err) {
    await stop();
    throw err;
  }
  exited.catch(() => undefined); // a later exit is stop()'s doing, or shows in the tests
  return { address, stop };
}
