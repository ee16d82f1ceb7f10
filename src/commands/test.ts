import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, globSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { notFound } from '../runtime/errors.ts';
import type { GlobalArgs } from './shared/options.ts';
import { handled } from './shared/output.ts';

interface Args extends GlobalArgs {
  paths: string[];
}

/** Test files as Node's test runner names them, in the languages micro runs. */
const PATTERNS = ['**/*.test.*', '**/*-test.*', '**/*_test.*', '**/test-*.*', '**/test/**/*.*'];
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** The test files under each path (a file is taken as it is), outside node_modules. */
export function testFiles(paths: string[]): string[] {
  const files = new Set<string>();
  for (const p of paths) {
    const path = resolve(p);
    if (!existsSync(path)) throw notFound('micro.cli', `${p} does not exist`);
    if (statSync(path).isFile()) {
      files.add(path);
      continue;
    }
    for (const f of globSync(PATTERNS, {
      cwd: path,
      exclude: (f) => basename(f) === 'node_modules',
    }))
      if (SOURCE.test(f) && !f.split(/[\\/]/).includes('node_modules')) files.add(join(path, f));
  }
  return [...files].sort();
}

// Run by `micro __exec`, so tests import 'micro-ts' as services do; in this process (isolation
// none), since in the single executable process.execPath is micro, not a node to spawn per file.
const RUNNER = `import { run } from 'node:test';
import { spec } from 'node:test/reporters';
const files = JSON.parse(process.env.MICRO_TEST_FILES ?? '[]');
let ran = 0;
let failed = 0;
const stream = run({ files, isolation: 'none' });
// A file is reported as a test of its own name when it declares none (or fails to load).
const counts = (t) => t.details.type !== 'suite' && t.name !== t.file;
stream.on('test:pass', (t) => { if (counts(t)) ran++; });
stream.on('test:fail', (t) => { failed++; if (counts(t)) ran++; });
const out = stream.compose(spec);
out.pipe(process.stdout);
await new Promise((r) => out.on('end', r));
if (ran === 0) {
  const detail = 'no test ran: ' + files.length + ' file(s) declared none (node:test test() or it())';
  process.stderr.write(JSON.stringify({ id: 'micro.cli', code: 400, detail, status: 'Bad Request' }) + '\\n');
}
process.exitCode = ran === 0 || failed > 0 ? 1 : 0;
`;

/** `micro test [PATH...]`: runs a service's tests on micro's own Node, with the framework provided. */
export const testCommand: CommandModule<GlobalArgs, Args> = {
  command: 'test [paths..]',
  describe: "Run a service's tests on micro's Node (npm test)",
  builder: (y) =>
    y
      .positional('paths', {
        type: 'string',
        array: true,
        default: ['.'],
        describe: 'folders to find tests in, or test files',
      })
      .example('micro test', 'runs the tests under the current folder (what `npm test` runs)')
      .example('micro test handler.test.ts', 'runs one file'),
  handler: handled(async (argv: Args) => {
    const files = testFiles(argv.paths);
    if (files.length === 0)
      throw notFound(
        'micro.cli',
        `no test files in ${argv.paths.join(', ')}: micro test runs files named *.test.ts, *-test.ts, *_test.ts or test-*.ts, or under test/ (.js, .mjs and .mts too)`,
      );
    const { selfInvocation } = await import('./shared/self.ts');
    const dir = mkdtempSync(join(tmpdir(), 'micro-test-'));
    const runner = join(dir, 'run.mjs');
    writeFileSync(runner, RUNNER);
    try {
      const self = selfInvocation();
      const child = spawn(self.command, [...self.args, '__exec', runner], {
        env: { ...process.env, MICRO_TEST_FILES: JSON.stringify(files) },
        stdio: 'inherit',
      });
      const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      const [code] = (await once(child, 'exit')) as [number | null];
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      if (code !== 0) process.exitCode = 1;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }),
};
