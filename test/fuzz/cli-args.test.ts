// Fuzzing the CLI's argument parsing: any argv ends in a command about to run, help, or a usage
// error on stderr (exit 1), with no stack trace, no hang and no raw control character printed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { runCli } from '../../src/commands/shared/cli.ts';
import { closedAddress, micro } from '../helpers/cli.ts';
import { fc, fuzzParams } from '../helpers/fuzz.ts';
import { controls } from '../helpers/terminal.ts';

/** Thrown where the command's handler would have run: parsing accepted the arguments. */
class Accepted extends Error {}
/** Thrown where the CLI would have exited (a usage error exits 1). */
class Exited extends Error {
  readonly code: number | undefined;
  constructor(code: number | undefined) {
    super(`exit ${code ?? 0}`);
    this.code = code;
  }
}

/** Parses args in this process, as bin/micro.ts does, stopping before any command runs. */
async function parse(args: string[]): Promise<{ outcome: string; output: string }> {
  const out: string[] = [];
  const keep = (chunk: unknown): boolean => {
    out.push(String(chunk));
    return true;
  };
  // The test runner reports to its parent over this process's stdout in binary (v8-serialized
  // buffers), at any moment: those pass through; the CLI writes text.
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  const mocks = [
    mock.method(process.stdout, 'write', (chunk: unknown, ...rest: never[]) =>
      typeof chunk === 'string' ? keep(chunk) : stdoutWrite(chunk as Uint8Array, ...rest),
    ),
    mock.method(process.stderr, 'write', keep),
    mock.method(console, 'log', (...a: unknown[]) => keep(`${a.join(' ')}\n`)),
    mock.method(console, 'error', (...a: unknown[]) => keep(`${a.join(' ')}\n`)),
    mock.method(process, 'exit', (code?: number) => {
      throw new Exited(code);
    }),
  ];
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      runCli(args, {
        beforeHandler: () => {
          throw new Accepted();
        },
        exitProcess: false,
      }).then(
        () => 'printed', // --help, --version, completions
        (err: unknown) => {
          if (err instanceof Accepted) return 'accepted';
          if (err instanceof Exited) return `exit ${err.code ?? 0}`;
          throw err;
        },
      ),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`parsing hung: ${JSON.stringify(args)}`)), 5000);
      }),
    ]);
    return { outcome, output: out.join('') };
  } finally {
    clearTimeout(timer);
    for (const m of mocks) m.mock.restore();
  }
}

const words = [
  'run',
  'new',
  'registry',
  'api',
  'sidecar',
  'web',
  'ps',
  'kill',
  'logs',
  '__exec',
  'list',
  'services',
  'get',
  'service',
  'call',
  'stream',
  'publish',
  'health',
  'stats',
  'store',
  'put',
  '--database',
  '--if-version',
  'db',
  'query',
  'index',
  '--sort',
  '--db',
  'postgres',
  'register',
  'deregister',
  'doctor',
  'explore',
  'ui',
  'completion',
  '--help',
  '--version',
  '-o',
  'json',
  '--output',
  '--registry',
  'etcd',
  '--registry-address',
  '--timeout',
  '-t',
  '-d',
  '--data',
  '--metadata',
  '-m',
  '--ttl',
  '--name',
  '--detach',
  '--no-api',
  '--',
  '-',
  '--zz',
  'x=y',
  '--get-yargs-completions',
  '{}',
  '@/etc/passwd',
  '__proto__',
  'constructor',
  '--__proto__',
  '--constructor.prototype.x',
  '-Z',
];

/** A word of argv: a known word, or text with control characters, quotes and odd lengths. */
const word = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...words) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('\u001b[2J', '\u009b31m', 'a\u0000b', '\u202eevil', '\r'),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('--', '-'), fc.string({ unit: 'binary', maxLength: 8 }))
      .map(([dash, s]) => dash + s),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 20_000 }).map((n) => 'x'.repeat(n)) },
);

describe('fuzz: CLI argument parsing', () => {
  const savedEnv = { ...process.env };
  after(() => {
    // exportPlugins never runs (parsing stops first), but be sure nothing leaked into the env.
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
    Object.assign(process.env, savedEnv);
  });

  it('any argv parses to a command, help, or a usage error with exit 1; no stack, no controls', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(word, { maxLength: 8 }), async (args) => {
        const { outcome, output } = await parse(args);
        assert.ok(['accepted', 'printed', 'exit 1', 'exit 0'].includes(outcome), outcome);
        if (outcome === 'exit 1') {
          const e = JSON.parse(output) as { id: string; code: number; detail: string };
          assert.equal(e.code, 400, 'a usage error is error JSON');
          assert.match(e.detail, /micro --help/, 'and says what to do');
        }
        assert.doesNotMatch(output, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
        assert.deepEqual(controls(output), [], JSON.stringify(output.slice(0, 200)));
      }),
      fuzzParams(300, 8000),
    );
  });

  it('a mistyped command with control characters in it is named, escaped', async () => {
    const { outcome, output } = await parse(['\u001b[2Jcal', 'x']);
    assert.equal(outcome, 'exit 1');
    assert.match(output, /\\u001b\[2Jcal/);
    assert.deepEqual(controls(output), []);
  });
});

describe('fuzz: the micro process with bad arguments', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'micro-fuzz-cli-'));
  after(() => rmSync(cwd, { recursive: true, force: true }));

  it('exits 1 with a message and no stack trace or control characters (a few runs)', async () => {
    const closed = await closedAddress();
    // An unknown flag after a real command: strict parsing refuses it before any command runs.
    const bad = fc.tuple(
      fc.constantFrom('list', 'get', 'call', 'logs', 'kill', 'run', 'new', 'publish', 'zzz'),
      fc.array(word, { maxLength: 3 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }),
    );
    const runs = fc.sample(bad, { numRuns: 4, seed: 12 });
    runs.push(['call', ['\u001b]0;title\u0007', '\u009b'], '\u001b[31m']);
    for (const [command, rest, junk] of runs) {
      // No `--` (what follows it is never a flag) and no NUL (argv cannot carry it).
      const args = [command, ...rest.filter((w) => w !== '--'), `--zz-${junk}`].map((w) =>
        w.replaceAll('\0', ''),
      );
      const run = await micro(args, { env: { MICRO_REGISTRY_ADDRESS: closed, HOME: cwd } });
      const said = run.stdout + run.stderr;
      assert.equal(run.code, 1, `${JSON.stringify(args)}\n${said}`);
      assert.ok(run.stderr.trim() !== '', 'a message on stderr');
      assert.doesNotMatch(said, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
      assert.deepEqual(controls(said), [], JSON.stringify(said.slice(0, 200)));
    }
  });
});
