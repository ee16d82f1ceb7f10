import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';
import { answers, startServerProcess, type RunningServer } from './server-process.ts';

/** A running nats-server started by a test. */
export type NatsServer = RunningServer;

/**
 * Starts a real nats-server (Debian's nats-server) on 127.0.0.1 with free client and monitoring
 * ports (with JetStream in a throwaway store directory when asked), and resolves once its health
 * endpoint answers. Rejects, so the test fails, when it cannot. `maxPayload` raises the server's
 * max_payload (1 MiB by default), which only a configuration file sets.
 */
export async function startNatsServer(
  opts: { jetstream?: boolean; maxPayload?: number } = {},
): Promise<NatsServer> {
  const [client, monitor] = [await freePort(), await freePort()];
  const store =
    opts.jetstream || opts.maxPayload ? await mkdtemp(join(tmpdir(), 'micro-nats-')) : undefined;
  const config = opts.maxPayload && store ? join(store, 'nats.conf') : undefined;
  if (config) await writeFile(config, `max_payload: ${opts.maxPayload}\n`);
  return startServerProcess({
    command: 'nats-server',
    install: 'nats-server',
    address: `127.0.0.1:${client}`,
    args: [
      ...['-a', '127.0.0.1', '-p', String(client), '-m', String(monitor)],
      ...(config ? ['-c', config] : []),
      ...(opts.jetstream && store ? ['-js', '-sd', store] : []),
    ],
    ready: () => answers(`http://127.0.0.1:${monitor}/healthz`),
    cleanup: async () => {
      if (store) await rm(store, { recursive: true, force: true });
    },
  });
}
