// A server binary (etcd, nats-server, redis-server) run by a test: started on 127.0.0.1, awaited
// until it serves, stopped by its PID. One copy of the start/wait/stop that each engine's helper needs.
import { spawn } from 'node:child_process';

/** A server a test started. */
export interface RunningServer {
  /** `127.0.0.1:<port>` its clients connect to. */
  address: string;
  /** Stops it (by PID), waits for it to exit and removes what it left. */
  stop(): Promise<void>;
}

/** How to run one server binary and tell when it serves. */
export interface ServerSpec {
  /** The binary, as on PATH. */
  command: string;
  args: string[];
  /** The Debian package that installs it, named when it cannot start. */
  install: string;
  /** The address its clients use. */
  address: string;
  /** Whether it serves yet, given all it printed so far; asked when it prints and every 100 ms. */
  ready(output: string): boolean | Promise<boolean>;
  /** Removes what it left (a data directory) once it has exited. */
  cleanup?(): Promise<void>;
  /** The user and group to run it as (PostgreSQL refuses to run as root); default: this process's. */
  user?: { uid: number; gid: number };
  /** The signal that stops it (default SIGTERM; PostgreSQL's fast shutdown is SIGINT). */
  stopSignal?: NodeJS.Signals;
}

/** How long a server may take to serve before the test fails. */
const READY_MS = 15_000;

/** How long a server may take to stop before it is killed. */
const STOP_MS = 10_000;

/**
 * Starts `spec.command` and resolves once `spec.ready` says it serves. Rejects, so the test fails,
 * with the end of its output when it exits, cannot start, or is not ready within 15 s.
 */
export async function startServerProcess(spec: ServerSpec): Promise<RunningServer> {
  const child = spawn(spec.command, spec.args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(spec.user && { uid: spec.user.uid, gid: spec.user.gid }),
  });
  let output = '';
  let printed: () => void = () => undefined;
  const read = (d: Buffer): void => {
    output = (output + d.toString()).slice(-20_000);
    printed();
  };
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, spec.stopSignal ?? 'SIGTERM');
      // A server that does not stop within 10 s is killed: a test run never waits on it.
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
      await gone;
      clearTimeout(kill);
    }
    await spec.cleanup?.();
  };
  let down = false;
  const exited = new Promise<never>((_, reject) => {
    child.on('error', (e) => {
      down = true;
      reject(new Error(`${spec.command} could not start (${e.message}): install ${spec.install}`));
    });
    child.on('exit', (code) => {
      down = true;
      reject(new Error(`${spec.command} exited (${code}): ${output.slice(-2000)}`));
    });
  });
  const deadline = Date.now() + READY_MS;
  const serving = (async () => {
    while (!down) {
      if (await Promise.resolve(spec.ready(output)).catch(() => false)) return;
      if (Date.now() > deadline)
        throw new Error(`${spec.command} not ready within 15 s: ${output.slice(-2000)}`);
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((r) => {
        printed = r;
        timer = setTimeout(r, 100);
      });
      clearTimeout(timer);
    }
  })();
  serving.catch(() => undefined); // when the server is gone, `exited` tells why
  try {
    await Promise.race([serving, exited]);
  } catch (err) {
    await stop();
    throw err;
  }
  exited.catch(() => undefined); // a later exit is stop()'s doing, or shows in the tests
  return { address: spec.address, stop };
}

/** Whether an HTTP GET of `url` answers 2xx within a second (and `accept`s its body, when given). */
export async function answers(url: string, accept?: (body: unknown) => boolean): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  return res.ok && (!accept || accept(await res.json()));
}
