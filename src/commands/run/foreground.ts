// `micro run ./svc`: one service in the foreground, reloaded when its files change.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fail } from '../shared/output.ts';
import type { ControlPlaneArgs, RunArgs } from './args.ts';
import { observer, serviceEnvironment } from './environment.ts';

/** Runs a service as a child process until it ends or micro gets a signal. */
export async function runForeground(
  argv: RunArgs,
  entry: { file: string; dir: string; name: string },
  cp: ControlPlaneArgs,
): Promise<void> {
  const [{ selfInvocation }, { credentialsFor }, environment] = await Promise.all([
    import('../shared/self.ts'),
    import('./credentials.ts'),
    serviceEnvironment(argv, cp),
  ]);
  const { started } = environment;
  let env: NodeJS.ProcessEnv;
  try {
    // With auth on, it runs as the service account of its name.
    const credentials = await credentialsFor(argv, argv.name ?? entry.name, environment);
    env = { ...environment.env, ...credentials };
  } catch (err) {
    await started?.stop();
    throw err;
  }
  const self = selfInvocation();
  const spawnService = (): ChildProcess =>
    spawn(self.command, [...self.args, '__exec', entry.file], {
      env,
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    });
  let code: number | null;
  let signal: NodeJS.Signals | null;
  if (argv.watch) {
    [code, signal] = await runWatched(entry.dir, spawnService, env, argv);
  } else {
    const child = spawnService();
    const forward = (s: NodeJS.Signals): void => void child.kill(s);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
  await started?.stop();
  if (code !== 0 && signal !== 'SIGINT' && signal !== 'SIGTERM') {
    fail(
      new Error(`${entry.file} exited with ${signal ? `signal ${signal}` : `code ${code ?? '?'}`}`),
    );
  }
}

/**
 * Runs the service and starts it again when a file under dir changes (node_modules, dotfiles and
 * the data dir aside): the new process serves before the old one stops. Resolves with how the
 * running process ended when it ends on its own or by a signal to micro.
 */
async function runWatched(
  dir: string,
  spawnService: () => ChildProcess,
  env: NodeJS.ProcessEnv,
  argv: RunArgs,
): Promise<[number | null, NodeJS.Signals | null]> {
  const [{ Reloader }, { watchSources }, { printable }, seen] = await Promise.all([
    import('../../runner/reload.ts'),
    import('../../runner/watch.ts'),
    import('../../registry/printable.ts'),
    observer(env, argv),
  ]);
  const log = (line: string): void => void process.stderr.write(`micro: ${printable(line)}\n`);
  const reloader = new Reloader({ ...seen, spawn: spawnService, log });
  const watch = watchSources(
    dir,
    (files) =>
      void reloader.reload(
        `${files.slice(0, 3).join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''} changed`,
      ),
    { ignore: [argv.dataDir] },
  );
  const forward = (s: NodeJS.Signals): void => reloader.stop(s);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    return await reloader.exited;
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    watch.close();
    await seen.close();
  }
}
