// `micro route` against a real control plane: rules made, shown as tables with weight bars,
// listed, versioned and undone through the CLI; every bad input a 400 with exit code 1 and
// nothing stored.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseShare, parseWeights, withMatch } from '../../src/commands/route/edit.ts';
import { createMicroConfig } from '../../src/platform/config/client.ts';
import { createRoutes } from '../../src/platform/routing/config-routes.ts';
import type { Routes, TrafficRule } from '../../src/platform/routing/routing.ts';
import type { MicroError } from '../../src/runtime/errors.ts';
import { errorOf, micro, type Run } from '../helpers/cli.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { scratchDir, serverForTests } from '../helpers/lifecycle.ts';

const address = serverForTests(() => startTestControlPlane('micro-route-cli-'));
const route = (...args: string[]) =>
  micro(['route', ...args, '--registry-address', address()], { env: { USER: 'ann' } });
const ok = (r: Run): string => {
  assert.equal(r.code, 0, `stderr: ${r.stderr}`);
  return r.stdout;
};
/** The rule as `micro route get -o json` prints it. */
const printed = async (service: string): Promise<TrafficRule> =>
  JSON.parse(ok(await route('get', service, '-o', 'json'))) as TrafficRule;
/** The rules as stored, read in this process (each CLI run costs a process). */
let here: Routes | undefined;
const stored = (): Routes =>
  (here ??= createRoutes({ config: createMicroConfig({ address: address() }), owned: true }));
after(() => here?.close());
const ruleOf = async (service: string): Promise<TrafficRule> =>
  (await stored().get(service)) ?? assert.fail(`no rule for ${service}`);
/** The 400 a bad command line gives, exit code 1. */
const refused = (r: Run, detail: RegExp): void => {
  assert.equal(r.code, 1, r.stdout);
  const e = errorOf(r);
  assert.equal(e.code, 400, e.detail);
  assert.match(e.detail, detail);
};

describe('micro route arguments', () => {
  it('refuses weights and matches that could not route', () => {
    const bad = (fn: () => unknown, detail: RegExp) =>
      assert.throws(fn, (e: MicroError) => e.code === 400 && detail.test(e.detail));
    bad(() => parseWeights(['1.0.0=0', '2.0.0=0']), /every weight is 0/);
    bad(() => parseWeights(['1.0.0=50', '1.0.0=50']), /version 1\.0\.0 is given twice/);
    bad(() => parseWeights(['=50']), /"=50" is not VERSION=WEIGHT/);
    bad(() => parseWeights(['1.0.0=-1']), /the weight of 1\.0\.0 must be a number from 0 to 100/);
    bad(
      () => parseShare('1e3', '--percent'),
      /--percent must be a number from 0 to 100, not "1e3"/,
    );
    bad(() => withMatch('shop', undefined, { match: { metadata: {} }, to: [] }), /give --metadata/);
    assert.deepEqual(parseWeights(['2.0.0-rc=1=2.5']), [{ version: '2.0.0-rc=1', weight: 2.5 }]);
  });
});

describe('micro route', () => {
  const dir = scratchDir('micro-route-files-');

  it('splits, matches, mirrors, lists, undoes and deletes a rule', async () => {
    assert.equal(
      ok(await route('list')).trim(),
      'no traffic rules: every call goes to any node of its service',
    );
    const none = await route('get', 'greeter');
    assert.equal(none.code, 1);
    assert.equal(errorOf(none).code, 404);

    const weighing = await route('weight', 'greeter', '1.0.0=90', '2.0.0=10');
    const weighted = ok(weighing);
    // No greeter runs: the CLI says what that does to the calls, and stores the rule all the same.
    assert.match(
      weighing.stderr,
      /^warning: no node of greeter is version 1\.0\.0 or version 2\.0\.0 \(no node is running\): the calls route 1 takes fail with a 503 until one is\n$/,
    );
    assert.match(weighted, /^greeter: 1 route, changed \S+Z by ann\n/);
    assert.match(weighted, /1\.0\.0 +90% █{18}░{2}\n/);
    assert.match(weighted, /2\.0\.0 +10% █{2}░{18}\n/);

    ok(await route('match', 'greeter', '--metadata', 'X-User-Id=beta', '--to', '2.0.0'));
    ok(await route('mirror', 'greeter', '--to', '2.0.0', '--percent', '5'));
    const rule = await printed('greeter');
    assert.equal(rule.author, 'ann');
    assert.deepEqual(rule.routes, [
      { match: { metadata: { 'x-user-id': 'beta' } }, to: [{ version: '2.0.0' }] },
      {
        to: [
          { version: '1.0.0', weight: 90 },
          { version: '2.0.0', weight: 10 },
        ],
        mirror: { version: '2.0.0', percent: 5 },
      },
    ]);
    assert.deepEqual(
      ok(await route('list'))
        .trimEnd()
        .split('\n'),
      [
        'SERVICE  ROUTE  MATCH           TO                      SHARE',
        `greeter  #1     x-user-id=beta  2.0.0                   100% ${'█'.repeat(20)}`,
        `         #2     every call      1.0.0                    90% ${'█'.repeat(18)}░░`,
        `                                2.0.0                    10% ██${'░'.repeat(18)}`,
        `                                copy to 2.0.0 (mirror)    5% █${'░'.repeat(19)}`,
      ],
    );

    // Weights again: the matching route and the mirror stay.
    ok(await route('weight', 'greeter', '1.0.0=50', '2.0.0=50', '--sticky', 'X-User-Id'));
    const split = await ruleOf('greeter');
    assert.equal(split.routes.length, 2);
    assert.equal(split.routes[1]?.sticky, 'x-user-id');
    assert.deepEqual(split.routes[1]?.mirror, { version: '2.0.0', percent: 5 });

    const history = JSON.parse(ok(await route('history', '-o', 'json'))) as {
      version: number;
      author: string;
    }[];
    assert.deepEqual(
      history.map((v) => [v.version, v.author]),
      [
        [4, 'ann'],
        [3, 'ann'],
        [2, 'ann'],
        [1, 'ann'],
      ],
    );
    assert.match(
      ok(await route('history')),
      /^VERSION {2}WHEN +AUTHOR {2}ACTION\n4 +\S+Z +ann +set\n/,
    );

    // Undo the last change: 90/10 again; back to version 1: no match, no mirror.
    assert.equal(ok(await route('undo')).trim(), 'version 5: rollback to version 3 by ann');
    assert.deepEqual(rule.routes, (await ruleOf('greeter')).routes);
    assert.equal(ok(await route('undo', '1')).trim(), 'version 6: rollback to version 1 by ann');
    assert.deepEqual((await ruleOf('greeter')).routes, [
      {
        to: [
          { version: '1.0.0', weight: 90 },
          { version: '2.0.0', weight: 10 },
        ],
      },
    ]);

    assert.equal(
      ok(await route('delete', 'greeter')).trim(),
      'greeter: rule deleted; its calls go to any node',
    );
    const again = await route('delete', 'greeter');
    assert.equal(again.code, 1);
    assert.equal(errorOf(again).code, 404);
  });

  it('completes service names on TAB', async () => {
    const tab = await micro(
      [
        '--get-yargs-completions',
        'micro',
        '--registry-address',
        address(),
        'route',
        'weight',
        'con',
      ],
      { env: { MICRO_COMPLETION_TIMEOUT: '5000' } },
    );
    assert.deepEqual(ok(tab).split('\n').filter(Boolean), ['config']);
  });

  it('sets a rule from a YAML file, a JSON argument or stdin', async () => {
    const file = join(dir, 'billing.yaml');
    writeFileSync(
      file,
      [
        'routes:',
        '  - name: beta',
        '    match: { endpoint: Pay.Charge, metadata: { x-plan: beta } }',
        '    to: [{ version: 2.0.0 }]',
        '  - to: [{ version: 1.0.0 }]',
        '',
      ].join('\n'),
    );
    const shown = ok(await route('set', 'billing', '--file', file));
    assert.match(shown, /^billing: 2 routes/);
    assert.match(shown, /beta +Pay\.Charge x-plan=beta +2\.0\.0 +100% █{20}/);
    const json = '{"routes":[{"to":[{"metadata":{"zone":"eu"}}]}]}';
    ok(await route('set', 'billing', json));
    assert.deepEqual((await ruleOf('billing')).routes, [{ to: [{ metadata: { zone: 'eu' } }] }]);
    const piped = await micro(
      ['route', 'set', 'billing', '-f', '-', '--registry-address', address()],
      {
        input: '[{"to":[{"version":"3.0.0"}]}]',
      },
    );
    ok(piped);
    assert.deepEqual((await ruleOf('billing')).routes, [{ to: [{ version: '3.0.0' }] }]);
  });

  it('refuses bad input with a 400 and exit code 1, storing nothing', async () => {
    ok(await route('weight', 'shop', '1.0.0=100'));
    const [version] = await stored().history(1);
    const tooMany = JSON.stringify({
      routes: Array.from({ length: 33 }, () => ({ to: [{ version: '1.0.0' }] })),
    });
    const cases: [string[], RegExp][] = [
      [
        ['weight', 'shop', '1.0.0=abc'],
        /the weight of 1\.0\.0 must be a number from 0 to 100, not "abc"/,
      ],
      [['weight', 'sh op', '1.0.0=100'], /service "sh op" may hold only letters/],
      [
        ['mirror', 'shop', '--to', '2.0.0', '--percent', '150'],
        /--percent must be a number from 0 to 100, not "150"/,
      ],
      [
        ['mirror', 'nothing-here', '--to', '2.0.0', '--percent', '5'],
        /nothing-here has no route for every call to mirror/,
      ],
      [['match', 'shop', '--to', '2.0.0'], /give --metadata k=v or --endpoint/],
      [
        ['match', 'shop', '--endpoint', 'not an endpoint', '--to', '2.0.0'],
        /rule\.routes\[0\]\.match\.endpoint "not an endpoint" must be Handler\.Method/,
      ],
      [['set', 'shop', tooMany], /rule\.routes has 33 items; it must have 1 to 32/],
      [['set', 'shop', '{"routes":'], /malformed JSON in the rule argument/],
      [
        ['set', 'shop', '{"service":"other","routes":[]}'],
        /the rule is the rule of "other", not of shop/,
      ],
      [
        ['set', 'shop', '--file', join(dir, 'missing.json')],
        /cannot read the rule file .*missing\.json: ENOENT/,
      ],
      [['undo', '0'], /the version must be a whole number of at least 1/],
      [['weight', 'shop'], /Not enough non-option arguments/],
      [[], /route what\? micro route list\|get\|set/],
    ];
    // A few at a time: each is a process of its own.
    for (let i = 0; i < cases.length; i += 4) {
      const batch = cases.slice(i, i + 4);
      const runs = await Promise.all(batch.map(([args]) => route(...args)));
      runs.forEach((r, j) => refused(r, batch[j]![1]));
    }
    const [still] = await stored().history(1);
    assert.equal(still?.version, version?.version, 'nothing was stored');
    assert.deepEqual((await ruleOf('shop')).routes, [{ to: [{ version: '1.0.0', weight: 100 }] }]);
  });
});
