import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child process whose output lines can be awaited. */
export interface Child {
  proc: ChildProcessWithoutNullStreams;
  lines: string[];
  /** Resolves with the first line (from line `since` on, seen or to come) that matches, or rejects after ms. */
  waitFor(pattern: RegExp, ms?: number, since?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code when the process ends by itself. */
  exited: Promise<number | null>;
  /** Sends a signal and resolves with the exit code once the process has gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const started = new Set<Child>();

/** Starts `node <script>` with the same Node; everything it prints is kept, stderr echoed on failure. */
export function startNode(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  options: { cwd?: string } = {},
): Child {
  const proc = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
    cwd: options.cwd,
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onLine = (line: string): void => {
    lines.push(line);
    for (const w of [...waiters]) {
      const m = line.match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  createInterface({ input: proc.stdout }).on('line', onLine);
  createInterface({ input: proc.stderr }).on('line', (l) => onLine(`stderr: ${l}`));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => resolve(code)),
  );
  const child: Child = {
    proc,
    lines,
    exited,
    waitFor(pattern, ms = 10_000, since = 0) {
      for (const l of lines.slice(since)) {
        const m = l.match(pattern);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no line matching ${pattern} from ${script} within ${ms} ms; it printed:\n${lines.join('\n')}`,
              ),
            ),
          ms,
        );
        waiters.push({ pattern, resolve: (m) => (clearTimeout(timer), resolve(m)) });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(
            new Error(
              `${script} exited (${code}) before printing ${pattern}; it printed:\n${lines.join('\n')}`,
            ),
          );
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      started.delete(child);
      return exited;
    },
  };
  started.add(child);
  return child;
}

/** Stops every child this process started and has not stopped (SIGTERM, SIGKILL after 3 s): for after() hooks. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...started].map(async (c) => {
      const timer = setTimeout(() => c.proc.kill('SIGKILL'), 3000);
      await c.stop('SIGTERM');
      clearTimeout(timer);
    }),
  );
}
