// `micro run` as a user starts it, for the scale benchmark: the registry, the dashboard and the API
// gateway in one process, on free ports of 127.0.0.1, its data in a folder of its own.
import { BINARY, NODE, ROOT } from '../lib/binary.ts';
import { freePort } from '../lib/nats-server.ts';
import { cleanEnv, type Child, type Children } from '../lib/processes.ts';
import { join } from 'node:path';

/** The executable under test and the arguments before its command. */
export interface Micro {
  command: string;
  prefix: string[];
  /** How to show it: `dist/micro` or `node bin/micro.ts`. */
  label: string;
}

/** The binary (dist/micro, or BENCH_BINARY) or the sources (node bin/micro.ts). */
export const micro = (mode: 'binary' | 'dev'): Micro =>
  mode === 'binary'
    ? {
        command: BINARY,
        prefix: [],
        label: BINARY.startsWith(ROOT) ? BINARY.slice(ROOT.length) : BINARY,
      }
    : { command: NODE, prefix: [join(ROOT, 'bin/micro.ts')], label: 'node bin/micro.ts' };

/** A running `micro run`: its process and the addresses it serves. */
export interface ControlPlane {
  child: Child;
  registry: string;
  web: string;
  api: string;
}

/** Starts `micro run` with its data in dataDir; resolves once it has printed where the dashboard is. */
export async function startMicroRun(
  children: Children,
  m: Micro,
  dataDir: string,
): Promise<ControlPlane> {
  const [registry, web, api] = await Promise.all([freePort(), freePort(), freePort()]).then((ps) =>
    ps.map((p) => `127.0.0.1:${p}`),
  );
  const child = children.exec('micro run', m.command, [...m.prefix, 'run'], {
    env: cleanEnv({
      MICRO_REGISTRY_ADDRESS: registry!,
      MICRO_WEB_ADDRESS: web!,
      MICRO_API_ADDRESS: api!,
      MICRO_DATA_DIR: dataDir,
      MICRO_API_LOG: 'false',
    }),
    echo: false,
    stderr: 'tail',
    // Not the repository: a folder with a micro.json would make `micro run` start that app.
    cwd: dataDir,
  });
  await child.line((line) => (/^\s+web\s+\S+$/.test(line) ? true : undefined), 60_000);
  return { child, registry: registry!, web: web!, api: api! };
}
