import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from '../../src/controlplane/index.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import {
  createClient,
  createService,
  endpoint,
  type Client,
  type Registry,
  type Service,
} from '../../src/runtime/index.ts';
import { closeAll, nameSchema, quiet, streamHandlers } from './fixtures.ts';

export const bin = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));
const compileCache = join(tmpdir(), 'micro-test-compile-cache');

/**
 * The command line a terminal test types: micro from source with this Node, in a user's bare
 * environment (HOME, TERM and these variables only), pointed at the registry.
 */
export function microInTerminal(
  home: string,
  registryAddress: string,
  env: Record<string, string> = {},
): string {
  return [
    'env -i',
    `HOME=${home}`,
    'TERM=tmux-256color',
    `NODE_COMPILE_CACHE=${compileCache}`,
    `MICRO_REGISTRY_ADDRESS=${registryAddress}`,
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    process.execPath,
    bin,
  ].join(' ');
}

/** What one run of the CLI printed, and how it ended. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options for one run of the CLI. */
export interface RunOptions {
  /** Written to stdin, which is then closed; without it stdin is empty. */
  input?: string;
  /** Extra environment; every other MICRO_* variable of this process is dropped. */
  env?: Record<string, string>;
  /** The folder it runs in (default this process's). */
  cwd?: string;
}

/** Runs `micro <args>` with this Node, as a user would, and collects its output. */
export async function micro(args: string[], options: RunOptions = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('MICRO_') && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  const child = spawn(process.execPath, [bin, ...args], {
    // The compile cache keeps type stripping out of every run but the first.
    env: { ...env, NODE_COMPILE_CACHE: compileCache, ...options.env },
    stdio: 'pipe',
    cwd: options.cwd,
    timeout: 20_000,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.end(options.input ?? '');
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.once('close', (c, s) => resolve([c, s])),
  );
  if (signal === 'SIGKILL')
    throw new Error(
      `micro ${args.join(' ')} did not exit within 20 s\nstdout:\n${stdout}\nstderr:\n${stderr}`,
    );
  return { code, stdout, stderr };
}

/** Parses the error JSON a failed command prints on stderr. */
export function errorOf(run: Run): { id: string; code: number; detail: string; status: string } {
  const line = run.stderr.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as { id: string; code: number; detail: string; status: string };
  } catch {
    throw new Error(`expected error JSON on stderr, got:\n${run.stderr}\nstdout:\n${run.stdout}`);
  }
}

/** A 127.0.0.1 address nothing listens on. */
export async function closedAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return `127.0.0.1:${port}`;
}

/** A control plane on a free port with a greeter registered in it, for CLI tests. */
export interface Bench {
  controlPlane: ControlPlane;
  /** A client of the control plane, for checking what the CLI did. */
  registry: Registry;
  greeter: Service;
  /** Messages the greeter's `events` subscriber received. */
  events: unknown[];
  /** Resolves with the next message the `events` subscriber receives. */
  nextEvent(): Promise<unknown>;
  /** `--registry-address` of the control plane, to append to CLI arguments. */
  flag: string[];
  /** A client finding services through the control plane, for calling what the CLI started. */
  client: Client;
  stop(): Promise<void>;
}

/** Starts a real control plane and a greeter service (Say.Hello, streams, an events subscriber). */
export async function startBench(): Promise<Bench> {
  const dataDir = mkdtempSync(join(tmpdir(), 'micro-cli-'));
  const controlPlane = await startControlPlane({
    address: '127.0.0.1:0',
    dataDir,
    logger: quiet,
  });
  const registry = createMicroRegistry({ address: controlPlane.address });
  const client = createClient({ registry });
  const greeter = createService({
    name: 'greeter',
    version: '1.0.0',
    metadata: { team: 'core' },
    registry,
    handleSignals: false,
    logger: quiet,
  });
  const events: unknown[] = [];
  const waiting: ((m: unknown) => void)[] = [];
  greeter.handle('Say', {
    Hello: endpoint(
      {
        request: nameSchema,
        response: { type: 'object', properties: { msg: { type: 'string' } } },
      },
      async (req: { name: string }, ctx) => ({
        msg: `Hello ${req.name}`,
        ...(ctx.metadata.user ? { user: ctx.metadata.user } : {}),
      }),
    ),
    Slow: async (_req: unknown, ctx: { signal: AbortSignal }) =>
      new Promise((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject(new Error('gave up'))),
      ),
    ...streamHandlers(),
  });
  greeter.subscribe('events', async (message: unknown) => {
    events.push(message);
    waiting.shift()?.(message);
  });
  await greeter.start();
  return {
    controlPlane,
    registry,
    greeter,
    events,
    nextEvent: () => new Promise((resolve) => waiting.push(resolve)),
    flag: ['--registry-address', controlPlane.address],
    client,
    async stop() {
      await closeAll(client, greeter, registry, controlPlane);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
