import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';

/** A running nats-server started by a test. */
export interface NatsServer {
  /** `127.0.0.1:<port>` of its client listener. */
  address: string;
  /** Stops it (by PID) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts a real nats-server (Debian's nats-server) on 127.0.0.1 with free client and monitoring
 * ports (with JetStream in a throwaway store directory when asked), and resolves once its health
 * endpoint answers. Rejects, so the test fails, when it cannot.
 */
export async function startNatsServer(opts: { jetstream?: boolean } = {}): Promise<NatsServer> {
  const [client, monitor] = [await freePort(), await freePort()];
  const store = opts.jetstream ? await mkdtemp(join(tmpdir(), 'micro-nats-')) : undefined;
  let output = '';
  const nats = spawn(
    'nats-server',
    [
      ...['-a', '127.0.0.1', '-p', String(client), '-m', String(monitor)],
      ...(store ? ['-js', '-sd', store] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  nats.stdout.on('data', (d: Buffer) => (output += d.toString()));
  nats.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async (): Promise<void> => {
    if (nats.pid !== undefined && nats.exitCode === null && nats.signalCode === null) {
      const gone = new Promise((r) => nats.once('exit', r));
      process.kill(nats.pid, 'SIGTERM');
      await gone;
    }
    if (store) await rm(store, { recursive: true, force: true });
  };
  let down = false;
  const exited = new Promise<never>((_, reject) => {
    nats.on('error', (e) => {
      down = true;
      reject(new Error(`nats-server could not start (${e.message}): install nats-server`));
    });
    nats.on('exit', (code) => {
      down = true;
      reject(new Error(`nats-server exited (${code}): ${output.slice(-2000)}`));
    });
  });
  const deadline = Date.now() + 15_000;
  const healthy = (async () => {
    while (!down) {
      try {
        const res = await fetch(`http://127.0.0.1:${monitor}/healthz`, {
          signal: AbortSignal.timeout(1000),
        });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`nats-server not healthy within 15 s: ${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  healthy.catch(() => undefined); // when the server is gone, `exited` tells why
  try {
    await Promise.race([healthy, exited]);
  } catch (err) {
    await stop();
    throw err;
  }
  exited.catch(() => undefined); // a later exit is stop()'s doing, or shows in the tests
  return { address: `127.0.0.1:${client}`, stop };
}
