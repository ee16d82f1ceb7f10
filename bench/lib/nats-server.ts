// A real nats-server for benchmarks: Debian's binary on 127.0.0.1 and a free port, ended by PID.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Child, Children } from './processes.ts';

/** A nats-server started by a benchmark. */
export interface NatsServer {
  /** `127.0.0.1:<port>` of its client listener. */
  readonly address: string;
  /** Its process, whose PID /proc reads CPU time from. */
  readonly child: Child;
  /** Its version, from the INFO line it greets clients with. */
  readonly version: string;
  /** Stops it by PID and removes its log. */
  stop(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** The INFO line a NATS server sends first, or undefined while it does not answer. */
function greeting(port: number): Promise<{ version?: string } | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    const done = (v: { version?: string } | undefined): void => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(1000, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n');
      if (end < 0) return;
      const line = text.slice(0, end);
      if (!line.startsWith('INFO ')) return done(undefined);
      try {
        done(JSON.parse(line.slice(5)) as { version?: string });
      } catch {
        done(undefined);
      }
    });
  });
}

/**
 * Starts `nats-server` (NATS_SERVER, else the one on PATH) bound to 127.0.0.1 as a child of
 * children, logging to a temporary file (with `jetstream`, JetStream on, storing in that folder),
 * and resolves once it greets a client.
 */
export async function startNatsServer(
  children: Children,
  options: { jetstream?: boolean } = {},
): Promise<NatsServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'micro-bench-nats-'));
  const log = join(dir, 'nats-server.log');
  const command = process.env.NATS_SERVER || 'nats-server';
  let child: Child;
  try {
    child = children.exec('nats-server', command, [
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '-l',
      log,
      ...(options.jetstream ? ['-js', '-sd', join(dir, 'jetstream')] : []),
    ]);
  } catch {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`could not start ${command}: install Debian's nats-server or set NATS_SERVER`);
  }
  const tail = async (): Promise<string> =>
    (await readFile(log, 'utf8').catch(() => '')).slice(-2000);
  const stop = async (): Promise<void> => {
    await children.stop(child);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      const why = await tail();
      await stop();
      throw new Error(`${command} exited before it answered (is it installed?): ${why}`);
    }
    const info = await greeting(port);
    if (info) return { address: `127.0.0.1:${port}`, child, version: info.version ?? '?', stop };
    if (Date.now() > deadline) {
      const why = await tail();
      await stop();
      throw new Error(`${command} did not answer on 127.0.0.1:${port} within 15 s: ${why}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
