import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { CommandModule } from 'yargs';
import { apiFlags, gatewayOptions, type ApiArgs } from './shared/api-options.ts';
import { WEB_ADDRESS } from './shared/dashboard.ts';
import { CONTROL_PLANE, engineAddress, type GlobalArgs } from './shared/options.ts';
import { fail, handled } from './shared/output.ts';

interface Args extends GlobalArgs {
  target?: string;
  detach: boolean;
  name?: string;
  mdns: boolean;
  'web-address': string;
  'control-address'?: string;
  /** Serve the API gateway too (`--no-api` turns it off). */
  api: boolean;
  /** Seconds `run -d` waits for the service to register; 0 does not wait. */
  wait: number;
  /** Restart the service when its files change (`--no-watch` turns it off). */
  watch: boolean;
}

/** `micro run [DIR|FILE]`: the control plane, or a service under it. */
export const runCommand: CommandModule<GlobalArgs, Args> = {
  command: 'run [target]',
  describe: 'Run micro, or a service under it',
  builder: (y) =>
    y
      .positional('target', {
        type: 'string',
        describe: 'a service directory or file; none runs micro itself',
      })
      .option('detach', {
        alias: 'd',
        type: 'boolean',
        default: false,
        describe: 'hand the service to micro, which restarts it if it crashes [MICRO_DETACH]',
      })
      .option('name', {
        type: 'string',
        describe: 'the name to supervise it under (default: the directory name) [MICRO_NAME]',
      })
      .option('wait', {
        type: 'number',
        default: 10,
        describe:
          'seconds run -d waits for the service to register before saying it runs; 0 does not wait [MICRO_WAIT]',
      })
      .option('watch', {
        type: 'boolean',
        default: true,
        describe:
          "restart a service run in the foreground when its files change, the new process serving before the old one stops (--no-watch: don't) [MICRO_WATCH]",
      })
      .option('mdns', {
        type: 'boolean',
        default: false,
        describe: 'announce the registry on the LAN over mDNS [MICRO_MDNS]',
      })
      .option('control-address', {
        type: 'string',
        describe: `where micro run serves the control plane (the registry and runtime services): --registry-address with the micro registry, else ${CONTROL_PLANE} [MICRO_CONTROL_ADDRESS]`,
      })
      .option('web-address', {
        type: 'string',
        default: WEB_ADDRESS,
        describe: 'where micro run serves the web dashboard [MICRO_WEB_ADDRESS]',
      })
      .option('api', {
        type: 'boolean',
        default: true,
        describe: 'serve the API gateway at --api-address too [MICRO_API]',
      })
      .options(apiFlags)
      .example('micro run', 'start the registry and runtime on 127.0.0.1:8000')
      .example('micro run ./greeter', 'run a service in the foreground')
      .example('micro run -d ./greeter', 'run it in the background, supervised')
      .example(
        'micro run --registry etcd --broker nats',
        'keep services in etcd and messages in NATS (at 127.0.0.1:2379 and 127.0.0.1:4222)',
      ),
  handler: handled(async (argv: Args) => {
    const { serveControlPlane } = await import('./shared/control-plane.ts');
    const controlPlane = {
      address: controlAddress(argv),
      dataDir: argv.dataDir,
      mdns: argv.mdns,
      supervise: true,
      plugins: argv,
    };
    // yargs also gives the api-* flags camel-cased, as ApiArgs reads them.
    const api = argv.api ? gatewayOptions(argv as unknown as ApiArgs) : undefined;
    if (!argv.target) return serveControlPlane({ ...controlPlane, web: argv['web-address'], api });
    const { findEntry } = await import('./shared/entry.ts');
    const entry = findEntry(argv.target);
    const name = argv.name ?? entry.name;
    if (argv.detach) return runDetached(argv, name, entry.file);
    await runForeground(argv, entry, controlPlane);
  }),
};

/**
 * Where the control plane listens. With the micro registry it is the registry, so it listens at
 * --registry-address; other registries have their own address, so it takes --control-address.
 */
function controlAddress(argv: Args): string {
  return (
    argv['control-address'] ?? (argv.registry === 'micro' ? argv.registryAddress : CONTROL_PLANE)
  );
}

/**
 * Runs a service as a child process. With the micro registry, starts the control plane in this
 * process if none answers; other registries (etcd, NATS) need no control plane to be found in.
 */
async function runForeground(
  argv: Args,
  entry: { file: string; dir: string },
  cp: Parameters<typeof import('./shared/control-plane.ts').openControlPlane>[0],
): Promise<void> {
  const file = entry.file;
  const [{ createMicroRegistry }, { openControlPlane, servicesEnvironment }, { selfInvocation }] =
    await Promise.all([
      import('../registry/micro.ts'),
      import('./shared/control-plane.ts'),
      import('./shared/self.ts'),
    ]);
  const env: NodeJS.ProcessEnv = { ...process.env, ...(await servicesEnvironment(argv)) };
  let started: Awaited<ReturnType<typeof openControlPlane>> | undefined;
  if (argv.registry === 'micro') {
    const probe = createMicroRegistry({ address: argv.registryAddress, timeout: 1000 });
    const running = await probe.listServices().then(
      () => true,
      () => false,
    );
    await probe.close();
    started = running ? undefined : await openControlPlane({ ...cp, supervise: false });
    if (started)
      process.stderr.write(
        `micro: no registry answered at ${argv.registryAddress}, so one runs in this process\n`,
      );
    env.MICRO_REGISTRY = 'micro';
    env.MICRO_REGISTRY_ADDRESS = started?.address ?? argv.registryAddress;
  }
  const self = selfInvocation();
  const spawnService = (): ReturnType<typeof spawn> =>
    spawn(self.command, [...self.args, '__exec', file], {
      env,
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    });
  let code: number | null;
  let signal: NodeJS.Signals | null;
  if (argv.watch) {
    [code, signal] = await runWatched(entry.dir, spawnService, env, argv.dataDir);
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
    fail(new Error(`${file} exited with ${signal ? `signal ${signal}` : `code ${code ?? '?'}`}`));
  }
}

/**
 * Runs the service and starts it again when a file under dir changes (node_modules, dotfiles and
 * the data dir aside): the new process serves before the old one stops. Resolves with how the
 * running process ended when it ends on its own or by a signal to micro.
 */
async function runWatched(
  dir: string,
  spawnService: () => ReturnType<typeof spawn>,
  env: NodeJS.ProcessEnv,
  dataDir: string,
): Promise<[number | null, NodeJS.Signals | null]> {
  const [
    { Reloader },
    { watchSources },
    { registryFromEnv, transportFromEnv },
    { createClient },
    { printable },
  ] = await Promise.all([
    import('../runner/reload.ts'),
    import('../runner/watch.ts'),
    import('../runtime/defaults.ts'),
    import('../runtime/client/rpc-client.ts'),
    import('../registry/printable.ts'),
  ]);
  const registry = registryFromEnv(env);
  const client = createClient({ registry, transport: transportFromEnv(env) });
  const log = (line: string): void => void process.stderr.write(`micro: ${printable(line)}\n`);
  const reloader = new Reloader({ spawn: spawnService, registry, client, log });
  const watch = watchSources(
    dir,
    (files) =>
      void reloader.reload(
        `${files.slice(0, 3).join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''} changed`,
      ),
    { ignore: [dataDir] },
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
    await client.close();
    await registry.close();
  }
}

/**
 * Hands the service to the runtime and waits (--wait) until it registered: a service that exits
 * first is stopped (it would only crash again) and, like one that never registers, reported with
 * its last log lines and exit code 1.
 */
async function runDetached(argv: Args, name: string, file: string): Promise<void> {
  const [{ withRuntime }, { printable }, { serviceUnavailable }] = await Promise.all([
    import('./shared/runtime.ts'),
    import('../registry/printable.ts'),
    import('../runtime/errors.ts'),
  ]);
  const wait = Math.max(0, Math.round(argv.wait * 1000));
  await withRuntime(argv, async (client) => {
    const { process: p, ready } = await client.call<{
      process: { name: string; pid: number; lastExit?: string };
      ready?: string;
    }>(
      'runtime',
      'Runtime.Create',
      // The broker and transport asked for here (flags or MICRO_*), else the platform's.
      { name, path: file, env: chosenPlugins(), ...(wait > 0 ? { wait } : {}) },
      { timeout: wait + 15_000 },
    );
    if (ready === undefined || ready === 'registered') {
      process.stdout.write(
        printable(
          `${p.name} is running (pid ${p.pid}); micro logs ${p.name} -f follows it, micro kill ${p.name} stops it\n`,
        ),
      );
      return;
    }
    let detail: string;
    if (ready === 'stopped') {
      detail = `${name} was stopped (micro kill) before it registered`;
    } else if (ready === 'timeout') {
      detail = `${name} did not register within ${argv.wait} s; it still runs under micro (micro logs ${name}, micro kill ${name}; --wait 0 skips this check for a program that registers no service)`;
    } else {
      const { process: gone } = await client.call<{ process: { lastExit?: string } }>(
        'runtime',
        'Runtime.Delete',
        { name },
      );
      detail = `${name} exited before it registered (${gone.lastExit ?? p.lastExit ?? 'stopped'}), so micro no longer runs it; micro logs ${name} shows its output`;
    }
    const stream = await client.stream<unknown, { line: string }>('runtime', 'Runtime.Logs');
    stream.send({ name, tail: 20 });
    stream.end();
    const lines: string[] = [];
    for await (const m of stream) lines.push(`  ${printable(String(m.line))}\n`);
    process.stderr.write(`micro: the last lines of ${printable(name, false)}:\n${lines.join('')}`);
    throw serviceUnavailable('micro.cli', detail);
  });
}

/**
 * The MICRO_BROKER/TRANSPORT settings this command was given (exportPlugins puts flags there); an
 * engine named without an address comes with its default one, not the platform's address.
 */
function chosenPlugins(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const part of ['BROKER', 'TRANSPORT']) {
    const engine = process.env[`MICRO_${part}`];
    const given = process.env[`MICRO_${part}_ADDRESS`];
    if (engine) env[`MICRO_${part}`] = engine;
    const address = engine ? engineAddress(engine, given) : given;
    if (address) env[`MICRO_${part}_ADDRESS`] = address;
  }
  return env;
}
