import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroEvents } from '../../src/platform/events/client.ts';
import type { Events } from '../../src/platform/events/events.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { errorOf, micro } from '../helpers/cli.ts';
import type { RunningServer } from '../helpers/server-process.ts';

const LINE = /^(\d+) (\d{4}-\d\d-\d\dT[\d:.]+Z) (\S+) (.*)$/;

describe('micro events', () => {
  let cp: RunningServer;
  let events: Events;
  let flag: string[];
  before(async () => {
    cp = await startTestControlPlane('micro-events-cli-');
    flag = ['--registry-address', cp.address];
    events = createMicroEvents({ address: cp.address });
  });
  after(async () => {
    await events.close();
    await cp.stop();
  });

  it('publishes JSON with a key and metadata, once per key, and replays the range', async () => {
    const first = await micro([
      'events',
      'publish',
      'orders',
      '{"id":1}',
      '--key',
      'order-1',
      '-m',
      'region=eu',
      ...flag,
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'published to orders at offset 1\n');
    const again = await micro([
      'events',
      'publish',
      'orders',
      '{"id":1}',
      '--key',
      'order-1',
      ...flag,
    ]);
    assert.equal(again.stdout, 'orders already has key order-1 at offset 1: nothing stored\n');
    const json = await micro(['events', 'publish', 'orders', 'shipped', '-o', 'json', ...flag]);
    const published = JSON.parse(json.stdout) as { offset: number; duplicate: boolean };
    assert.deepEqual([published.offset, published.duplicate], [2, false]);
    const piped = await micro(['events', 'publish', 'orders', '-', ...flag], { input: '[1,2]\n' });
    assert.equal(piped.code, 0, piped.stderr);

    const replay = await micro(['events', 'replay', 'orders', ...flag]);
    const lines = replay.stdout
      .trim()
      .split('\n')
      .map((l) => LINE.exec(l)?.slice(1));
    assert.deepEqual(
      lines.map((l) => [l?.[0], l?.[2], l?.[3]]),
      [
        ['1', 'order-1', '{"id":1}'],
        ['2', '-', '"shipped"'],
        ['3', '-', '[1,2]'],
      ],
    );
    const some = await micro([
      'events',
      'replay',
      'orders',
      '--from',
      '2',
      '--limit',
      '1',
      '-o',
      'json',
      ...flag,
    ]);
    const records = JSON.parse(some.stdout) as { offset: number; metadata: object }[];
    assert.deepEqual(
      records.map((r) => r.offset),
      [2],
    );
    const stored = await events.read('orders', { to: 1 });
    assert.equal((stored.events[0]?.metadata as Record<string, string>).region, 'eu');
    const none = await micro(['events', 'replay', 'orders', '--from', '99', ...flag]);
    assert.equal(none.stdout, 'no events in orders in that range\n');

    const list = await micro(['events', 'list', 'ord', ...flag]);
    assert.match(list.stdout, /^TOPIC +FIRST +LAST +COUNT +LAST EVENT\norders +1 +3 +3 +\d{4}-/);
  });

  it('subscribes from the earliest in a group, acknowledging each, and lists the group', async () => {
    await events.publishMany('tasks', [{ data: 'a' }, { data: 'b' }, { data: 'c' }]);
    const run = await micro([
      'events',
      'subscribe',
      'tasks',
      '--group',
      'cli',
      '--from',
      'earliest',
      '--count',
      '2',
      ...flag,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => LINE.exec(l)?.[4]),
      ['"a"', '"b"'],
    );
    const groups = await micro(['events', 'groups', 'tasks', '-o', 'json', ...flag]);
    const [group] = JSON.parse(groups.stdout) as { group: string; position: number; lag: number }[];
    assert.deepEqual([group?.group, group?.position, group?.lag], ['cli', 2, 1]);
    // The group resumes where it stopped.
    const rest = await micro([
      'events',
      'subscribe',
      'tasks',
      '--group',
      'cli',
      '--count',
      '1',
      '-o',
      'json',
      ...flag,
    ]);
    assert.equal((JSON.parse(rest.stdout) as { data: string }).data, 'c');

    const seek = await micro(['events', 'seek', 'tasks', 'cli', '1', ...flag]);
    assert.equal(seek.code, 0, seek.stderr);
    assert.match(seek.stdout, /^group cli of tasks is at position 0\n$/);
    const table = await micro(['events', 'groups', ...flag]);
    assert.match(
      table.stdout,
      /^TOPIC +GROUP +POSITION +PENDING +LAG +MEMBERS +DEAD-LETTERED\ntasks +cli +0 +0 +3 /,
    );
  });

  it('sets retention', async () => {
    const run = await micro([
      'events',
      'retention',
      'logs',
      '--max-age',
      '24h',
      '--max-count',
      '500',
      ...flag,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'logs keeps events for 24h, at most 500\n');
    const [info] = await events.topics('logs');
    assert.deepEqual(info?.retention, { maxAge: 86_400_000, maxCount: 500 });
  });

  it('fails with the error shape and a non-zero exit on bad input, storing nothing', async () => {
    const cases: [string[], number, RegExp][] = [
      [['publish', 'bad', '{"a":'], 400, /the data is not valid JSON/],
      [['publish', 'no spaces', '1'], 400, /topic/],
      [['publish', 'micro.registry', '{}'], 403, /under micro\. are the platform's own/],
      [['publish', 'bad', '1', '-m', 'novalue'], 400, /is not k=v/],
      [['subscribe', 'bad', '--count', '0'], 400, /--count must be a whole number of at least 1/],
      [['subscribe', 'bad', '--from', 'yesterday'], 400, /--from must be latest, earliest/],
      [
        ['replay', 'bad', '--since', 'soon'],
        400,
        /--since must be a duration before now .* or a time/,
      ],
      [['retention', 'bad', '--max-age', 'forever'], 400, /not a duration/],
      [['seek', 'bad', 'g', 'soon'], 400, /START must be latest, earliest/],
      [['list', '--events', 'floppy'], 400, /unknown events "floppy".*micro/],
      [['subscribe', 'bad', '--count', '1', '--count', '2'], 400, /--count was given more than/],
      [['replay', 'bad', '--from', '1', '--from', '2'], 400, /--from was given more than once/],
      [['replay', 'bad', '--since', 'a', '--since', 'b'], 400, /--since was given more than/],
      [['publish', 'bad', '1', '--key', 'a', '--key', 'b'], 400, /--key was given more than/],
      [['retention', 'bad', '--max-age', '1h', '--max-age', '2h'], 400, /--max-age was given/],
      [['seek', 'bad', 'g', '1', '--registry-address', 'x'], 400, /--registry-address was given/],
      [['publish', 'bad', '-'], 400, /the data was empty/],
    ];
    for (const [args, code, detail] of cases) {
      const run = await micro(['events', ...args, ...flag]);
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stdout}`);
      assert.equal(errorOf(run).code, code, `${args.join(' ')}: ${run.stderr}`);
      assert.match(errorOf(run).detail, detail, args.join(' '));
    }
    assert.deepEqual(await events.topics('bad'), []);
    const platform = await events.read('micro.registry');
    assert.ok(platform.events.every((e) => JSON.stringify(e.data) !== '{}'));
  });
});
