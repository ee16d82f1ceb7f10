// `micro run -d ./svc`: the service handed to the runtime, which supervises it.
import { engineAddress } from '../shared/options.ts';
import type { RunArgs } from './args.ts';

/**
 * Hands the service to the runtime and waits (--wait) until it registered: a service that exits
 * first is stopped (it would only crash again) and, like one that never registers, reported with
 * its last log lines and exit code 1.
 */
export async function runDetached(argv: RunArgs, name: string, file: string): Promise<void> {
  const [{ withRuntime }, { printable }, { serviceUnavailable }] = await Promise.all([
    import('../shared/runtime.ts'),
    import('../../registry/printable.ts'),
    import('../../runtime/errors.ts'),
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
      { name, path: file, env: chosenPlugins(), watch: argv.watch, ...(wait > 0 ? { wait } : {}) },
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
 * The MICRO_BROKER/TRANSPORT/STORE/CONFIG/SYNC/EVENTS/DB settings this command was given (exportPlugins puts flags there); an
 * engine named without an address comes with its default one, not the platform's address.
 */
function chosenPlugins(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const part of ['BROKER', 'TRANSPORT', 'STORE', 'CONFIG', 'SYNC', 'EVENTS', 'DB']) {
    const engine = process.env[`MICRO_${part}`];
    const given = process.env[`MICRO_${part}_ADDRESS`];
    if (engine) env[`MICRO_${part}`] = engine;
    const address = engine ? engineAddress(engine, given) : given;
    if (address) env[`MICRO_${part}_ADDRESS`] = address;
  }
  return env;
}
