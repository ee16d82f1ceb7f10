// `micro run` in a folder with micro.json: the app's services in dependency order.
import { spawn } from 'node:child_process';
import type { App } from '../../runner/app.ts';
import type { ControlPlaneArgs, RunArgs } from './args.ts';
import { observer, serviceEnvironment } from './environment.ts';

/** Runs the app's services until micro gets SIGINT or SIGTERM (or they all end), then stops them in reverse order. */
export async function runAppCommand(argv: RunArgs, app: App, cp: ControlPlaneArgs): Promise<void> {
  const [
    { runApp },
    { findEntry },
    { selfInvocation },
    { printable },
    { credentialsFor },
    { prettyLines },
    environment,
  ] = await Promise.all([
    import('../../runner/run-app.ts'),
    import('../shared/entry.ts'),
    import('../shared/self.ts'),
    import('../../registry/printable.ts'),
    import('./credentials.ts'),
    import('../../platform/logs/logger.ts'),
    serviceEnvironment(argv, cp),
  ]);
  const { env, started } = environment;
  // With auth on, each service runs as the service account of its name.
  const credentials = new Map<string, Record<string, string>>();
  try {
    for (const s of app.services)
      credentials.set(s.name, await credentialsFor(argv, s.name, environment));
  } catch (err) {
    await started?.stop();
    throw err;
  }
  const self = selfInvocation();
  const seen = await observer(env, argv);
  // On a terminal, a service's JSON log line (after its `name | ` prefix) is printed readably.
  const pretty = process.stderr.isTTY ? prettyLines(false) : undefined;
  const shown = (line: string): string => {
    const at = pretty ? line.indexOf(' | {"level":') : -1;
    return at === -1 || !pretty ? line : line.slice(0, at + 3) + pretty(line.slice(at + 3));
  };
  let signalled!: () => void;
  const stop = new Promise<void>((resolve) => (signalled = resolve));
  process.once('SIGINT', signalled);
  process.once('SIGTERM', signalled);
  try {
    await runApp(
      app,
      {
        ...seen,
        entry: findEntry,
        spawn: (file, extra, name) =>
          spawn(self.command, [...self.args, '__exec', file], {
            env: { ...env, ...extra, ...credentials.get(name) },
            stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
          }),
        environment: argv.env,
        watch: argv.watch,
        ignore: [argv.dataDir],
        write: (line) => void process.stderr.write(`${printable(shown(line))}\n`),
      },
      stop,
    );
  } finally {
    process.off('SIGINT', signalled);
    process.off('SIGTERM', signalled);
    await seen.close();
    await started?.stop();
  }
}
