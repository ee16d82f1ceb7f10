import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './shared/options.ts';
import { handled, print, table } from './shared/output.ts';

interface Row {
  name: string;
  pid?: number;
  status: string;
  restarts: number;
  started: number;
  path: string;
  lastExit?: string;
}

const ago = (ms: number): string => {
  const s = Math.round((Date.now() - ms) / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
};

/** `micro ps`: the services micro supervises. */
export const psCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'ps',
  describe: 'List the services micro runs in the background',
  handler: handled(async (argv: GlobalArgs) => {
    const { runtimeCall } = await import('./shared/runtime.ts');
    const { processes } = await runtimeCall<{ processes: Row[] }>(argv, 'Runtime.List', {});
    print(argv.output, processes, (rows: Row[]) =>
      rows.length === 0
        ? 'no services are running under micro; start one with micro run -d ./dir'
        : table(
            ['NAME', 'STATUS', 'PID', 'RESTARTS', 'UP', 'PATH'],
            rows.map((r) => [
              r.name,
              r.status,
              String(r.pid ?? '-'),
              String(r.restarts),
              ago(r.started),
              r.path,
            ]),
          ),
    );
  }),
};
