// Real engines for benchmarks: Debian's redis-server and etcd, each on 127.0.0.1 and free ports
// with a throwaway folder, a child of the bench's Children (ended by its PID), awaited until it serves.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './nats-server.ts';
import type { Child, Children } from './processes.ts';

/** An engine started by a benchmark. */
export interface EngineServer {
  /** `127.0.0.1:<port>` its clients connect to. */
  readonly address: string;
  /** Its process, whose PID /proc reads CPU time from. */
  readonly child: Child;
  /** Its version, for the header. */
  readonly version: string;
  /** Stops it by PID and removes its folder. */
  stop(): Promise<void>;
}

/** How to run one engine and tell when it serves. */
interface EngineSpec {
  name: string;
  command: string;
  /** `127.0.0.1:<port>` its clients connect to. */
  address(): string;
  args(dir: string): string[];
  /** Resolves with its version once it serves, undefined while it does not. */
  serves(): Promise<string | undefined>;
}

/** Starts spec's command as a child of children; resolves once it serves (15 s at most). */
async function startEngine(children: Children, spec: EngineSpec): Promise<EngineServer> {
  const dir = await mkdtemp(join(tmpdir(), `micro-bench-${spec.name}-`));
  let child: Child;
  try {
    child = children.exec(spec.name, spec.command, spec.args(dir), {
      echo: false,
      stderr: 'tail',
    });
  } catch {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`could not start ${spec.command}: install Debian's package`);
  }
  const stop = async (): Promise<void> => {
    await children.stop(child);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      await stop();
      throw new Error(`${spec.command} exited before it served (is it installed?)`);
    }
    const version = await spec.serves().catch(() => undefined);
    if (version !== undefined) return { address: spec.address(), child, version, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${spec.command} did not serve within 15 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The reply to one inline Redis command, or undefined when none comes within a second. */
function redisReply(port: number, command: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    const done = (v: string | undefined): void => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(1000, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      // A bulk reply: `$<length>\r\n<text>\r\n`.
      const m = /^\$(\d+)\r\n/.exec(text);
      if (m && text.length >= m[0].length + Number(m[1])) done(text.slice(m[0].length));
      else if (/^[-+:]/.test(text) && text.includes('\r\n')) done(undefined);
    });
  });
}

/** Starts redis-server (REDIS_SERVER, else the one on PATH) with no persistence. */
export async function startRedisServer(children: Children): Promise<EngineServer> {
  const port = await freePort();
  return startEngine(children, {
    name: 'redis-server',
    command: process.env.REDIS_SERVER || 'redis-server',
    address: () => `127.0.0.1:${port}`,
    args: (dir) => [
      ...['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
      ...['--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'],
    ],
    serves: async () => {
      const info = await redisReply(port, 'INFO server');
      return info === undefined ? undefined : (/redis_version:(\S+)/.exec(info)?.[1] ?? '?');
    },
  });
}

/** Starts etcd (ETCD, else the one on PATH) as a one-member cluster. */
export async function startEtcd(children: Children): Promise<EngineServer> {
  const [client, peer] = [await freePort(), await freePort()];
  const address = `127.0.0.1:${client}`;
  return startEngine(children, {
    name: 'etcd',
    command: process.env.ETCD || 'etcd',
    address: () => address,
    args: (dir) => [
      '--name=micro-bench',
      `--data-dir=${dir}/data`,
      `--listen-client-urls=http://${address}`,
      `--advertise-client-urls=http://${address}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=micro-bench=http://127.0.0.1:${peer}`,
      '--log-level=warn',
    ],
    serves: async () => {
      const health = await fetch(`http://${address}/health`, { signal: AbortSignal.timeout(1000) });
      if (!health.ok || ((await health.json()) as { health?: string }).health !== 'true')
        return undefined;
      const v = await fetch(`http://${address}/version`, { signal: AbortSignal.timeout(1000) });
      return ((await v.json()) as { etcdserver?: string }).etcdserver ?? '?';
    },
  });
}
