import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startNode, stopAll } from '../helpers/proc.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The `$ command` lines of the README's console blocks, each with the output shown under it. */
function consoleExamples(): { command: string; output: string }[] {
  const out: { command: string; output: string }[] = [];
  for (const block of readme.matchAll(/```console\n([\s\S]*?)```/g)) {
    for (const part of (block[1] ?? '').split(/^\$ /m).filter(Boolean)) {
      const [command = '', ...rest] = part.trimEnd().split('\n');
      out.push({ command, output: rest.join('\n') });
    }
  }
  return out;
}

describe('the README', () => {
  let address = '';
  before(async () => {
    // What `npm start` runs, on a free port instead of 9090.
    const greeter = startNode(`${root}examples/greeter/service.ts`, [], {
      MICRO_REGISTRY: 'memory',
      MICRO_SERVER_ADDRESS: '127.0.0.1:0',
    });
    [, address = ''] = await greeter.waitFor(/listening on (\S+)/);
  });
  after(stopAll);

  it('shows the greeter example and its client exactly as they are', () => {
    for (const file of ['examples/greeter/service.ts', 'examples/greeter/client.ts']) {
      assert.ok(
        readme.includes(readFileSync(`${root}${file}`, 'utf8')),
        `${file} differs from the README`,
      );
    }
  });

  it('prints what its curl examples print', () => {
    const examples = consoleExamples().filter((e) => e.command.startsWith('curl '));
    assert.ok(examples.length >= 4);
    for (const { command, output } of examples) {
      const actual = execFileSync('sh', ['-c', command.replaceAll('127.0.0.1:9090', address)], {
        encoding: 'utf8',
      });
      assert.equal(actual.trim().replace(uuid, '<uuid>'), output.trim(), command);
    }
  });

  it('starts with the set-up-and-run command and the test command', () => {
    const first = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    assert.match(first, /^npm ci && npm start/m);
    assert.match(first, /^npm test/m);
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.match(pkg.scripts.start ?? '', /examples\/greeter\/service\.ts/);
  });
});
