import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';

const IP = '/usr/sbin/ip';
const ENV = 'MICRO_TEST_NETNS';

/** The namespace this process runs in, when a test re-ran itself inside one. */
export const currentNamespace = (): string | undefined => process.env[ENV];

/**
 * Runs `file` again, inside a private network namespace with only loopback, multicast switched on
 * there (DESIGN.md, "Tests and the network"). Call it from the outer copy of a test file; the inner
 * copy sees currentNamespace() set. Fails, never skips, when the namespace cannot be made.
 */
export function rerunInNamespace(file: string, label: string): void {
  describe(label, () => {
    const name = `micro-test-${process.pid}`;
    let created = false;
    after(() => {
      if (created) spawnSync(IP, ['netns', 'delete', name]);
    });
    it('passes inside a private network namespace', async () => {
      const steps = [
        ['netns', 'add', name],
        ['-n', name, 'link', 'set', 'lo', 'up'],
        ['-n', name, 'link', 'set', 'lo', 'multicast', 'on'],
        ['-n', name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo'],
      ];
      for (const args of steps) {
        const r = spawnSync(IP, args, { encoding: 'utf8' });
        if (r.status !== 0) {
          assert.fail(
            `cannot set up network namespace ${name} (${IP} ${args.join(' ')}: ${r.error?.message ?? r.stderr.trim()}); these tests need root and iproute2`,
          );
        }
        if (args[1] === 'add') created = true;
      }
      const env: NodeJS.ProcessEnv = { ...process.env, [ENV]: name };
      delete env.NODE_TEST_CONTEXT;
      const child = spawn(
        IP,
        ['netns', 'exec', name, process.execPath, '--test', '--test-reporter=spec', file],
        {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: 180_000,
          killSignal: 'SIGKILL',
        },
      );
      child.stdout.on('data', (c: Buffer) => process.stderr.write(c));
      child.stderr.on('data', (c: Buffer) => process.stderr.write(c));
      const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
      assert.equal(
        code,
        0,
        `the tests inside ${name} failed (exit ${code}, signal ${signal}); their output is above`,
      );
    });
  });
}

/** Throws unless this process is inside the namespace it was told, with loopback as its only interface. */
export function assertIsolated(): void {
  const expected = currentNamespace();
  const r = spawnSync(IP, ['netns', 'identify', String(process.pid)], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), expected, 'refusing to multicast outside the test namespace');
  const links = spawnSync(IP, ['-o', 'link', 'show'], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n');
  assert.deepEqual(
    links.map((l) => l.split(':')[1]?.trim()),
    ['lo'],
    'the test namespace must have loopback only',
  );
}
