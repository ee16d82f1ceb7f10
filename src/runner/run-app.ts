// Running an app's services together: each started only once what it depends on serves, its
// output prefixed with its name, reloaded on its own file changes, and all stopped in reverse order.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { MicroError } from '../runtime/errors.ts';
import type { App } from './app.ts';
import { serviceEnv } from './app.ts';
import { Reloader, type ServingOptions } from './reload.ts';
import { watchSources, type SourceWatch } from './watch.ts';

/** What running an app needs from the command: how to find and start a service, and where to talk. */
export interface RunAppOptions extends ServingOptions {
  /** The entry file of a service path (a folder or a file), and the folder to watch. */
  entry: (path: string) => { file: string; dir: string };
  /** Starts one process of a service file (the app's service `name`) with the given extra environment; its stdout and stderr piped. */
  spawn: (file: string, env: Record<string, string>, name: string) => ChildProcess;
  /** The environment block to use (`--env`); none uses the base environment. */
  environment?: string;
  /** Reload a service when its files change. */
  watch: boolean;
  /** Folders whose changes never reload (the data dir). */
  ignore: string[];
  /** Where lines go: the services' own (prefixed) and micro's. */
  write: (line: string) => void;
}

/** A started service of the app. */
interface Running {
  name: string;
  reloader: Reloader;
  watch?: SourceWatch;
}

/** A service's entry file, or the error saying which service's path is wrong. */
function entryOf(
  o: RunAppOptions,
  app: App,
  name: string,
  path: string,
): { file: string; dir: string } {
  try {
    return o.entry(resolve(app.dir, path));
  } catch (err) {
    if (err instanceof MicroError)
      throw new MicroError(err.id, err.code, `${app.source} services.${name}: ${err.detail}`);
    throw err;
  }
}

/** Copies a process's output to write(), each line prefixed with the service's name. */
function prefixed(child: ChildProcess, prefix: string, write: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr])
    if (stream)
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (l) =>
        write(`${prefix}${l}`),
      );
}

/**
 * Starts the app's services in dependency order, each once the ones before it serve, then runs
 * until `stop` resolves or every service has ended; stops them in reverse order. A service that
 * does not start stops the ones started before it, and the error says which and why.
 */
export async function runApp(app: App, o: RunAppOptions, stop: Promise<void>): Promise<void> {
  const width = Math.max(...app.services.map((s) => s.name.length));
  const say = (line: string): void => o.write(`micro: ${line}`);
  const running: Running[] = [];
  try {
    for (const svc of app.services) {
      const { file, dir } = entryOf(o, app, svc.name, svc.path);
      const env = serviceEnv(app, svc, o.environment);
      const prefix = `${svc.name.padEnd(width)} | `;
      const reloader = new Reloader({
        ...o,
        spawn: () => {
          const child = o.spawn(file, env, svc.name);
          prefixed(child, prefix, o.write);
          return child;
        },
        log: (line) => say(`${svc.name}: ${line}`),
      });
      running.push({ name: svc.name, reloader });
      const started = await Promise.race([
        reloader.started().then(
          () => undefined,
          (err: unknown) => (err as Error).message,
        ),
        stop.then(() => 'stopped'),
      ]);
      if (started === 'stopped') return;
      if (started !== undefined) throw new Error(`${svc.name} (${file}) did not start: ${started}`);
      say(`${svc.name} serves${svc.depends.length ? ` (after ${svc.depends.join(', ')})` : ''}`);
      if (o.watch)
        running[running.length - 1]!.watch = watchSources(
          dir,
          (files) => void reloader.reload(`${files.slice(0, 3).join(', ')} changed`),
          { ignore: o.ignore },
        );
    }
    say(`${app.services.length} services of ${app.source} serve; Ctrl-C stops them`);
    const ended = Promise.all(
      running.map(async (r) => {
        const [code, signal] = await r.reloader.exited;
        say(`${r.name} exited (${signal ? `signal ${signal}` : `code ${String(code)}`})`);
      }),
    );
    await Promise.race([stop, ended]);
  } finally {
    for (const r of [...running].reverse()) {
      r.watch?.close();
      const child = r.reloader.current;
      if (child.exitCode === null && child.signalCode === null) say(`stopping ${r.name}`);
      r.reloader.stop('SIGTERM');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    }
  }
}
