// What the CLI benchmarks run against: `micro registry` on a free port of 127.0.0.1 with its data
// in a given folder, and the example greeter (examples/greeter/service.ts) registered on it.
import { join } from 'node:path';
import { NODE, ROOT, registryArgs } from './binary.ts';
import { cleanEnv, type Child, type Children } from './processes.ts';

/** The greeter a user writes from the README, started as a user starts it. */
export const GREETER = join(ROOT, 'examples/greeter/service.ts');

/** The registry address in `micro registry`'s start-up lines. */
const addressIn = (line: string): string | undefined => /^\s+registry\s+(\S+)$/.exec(line)?.[1];

/** When a service's "listening" line came out on its stdout. */
export const listeningIn = (line: string): number | undefined =>
  line.includes(' listening on ') ? performance.now() : undefined;

/** The environment of a service that registers on the control plane at address. */
export const serviceEnv = (address: string): Record<string, string> => ({
  MICRO_REGISTRY: 'micro',
  MICRO_REGISTRY_ADDRESS: address,
  MICRO_SERVER_ADDRESS: '127.0.0.1:0',
});

/**
 * Starts `command ...prefix registry` on 127.0.0.1:0 with its data in dataDir (env: its whole
 * environment); resolves with it and the address it listens on.
 */
export async function startControlPlane(
  children: Children,
  command: string,
  prefix: string[],
  dataDir: string,
  env: Record<string, string> = cleanEnv(),
): Promise<{ child: Child; address: string }> {
  const args = registryArgs(command, prefix, '127.0.0.1:0', dataDir);
  const child = children.exec('control plane', command, args, { env, echo: false });
  return { child, address: await child.line(addressIn, 30_000) };
}

/** Starts `node examples/greeter/service.ts` on the control plane at address; resolves once it listens. */
export async function startGreeter(children: Children, address: string): Promise<Child> {
  const greeter = children.exec('greeter', NODE, [GREETER], {
    env: cleanEnv(serviceEnv(address)),
    echo: false,
    stderr: 'tail',
  });
  await greeter.line(listeningIn, 30_000);
  return greeter;
}
