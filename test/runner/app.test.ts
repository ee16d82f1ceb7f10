// micro.json (or package.json's "micro" key): what `micro run` reads to run an app, every mistake
// a 400 that says where.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findApp, parseApp, serviceEnv } from '../../src/runner/app.ts';
import { MicroError } from '../../src/runtime/index.ts';
import { scratchDir } from '../helpers/lifecycle.ts';

/** Asserts that parsing def fails with a 400 whose detail matches. */
function refused(def: unknown, detail: RegExp): void {
  assert.throws(
    () => parseApp('/app', 'micro.json', def),
    (e: unknown) => e instanceof MicroError && e.code === 400 && detail.test(e.detail),
  );
}

describe('app definitions', () => {
  const dir = scratchDir('micro-app-def-');

  it('reads the "micro" key of package.json when there is no micro.json, and none when neither', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    assert.equal(findApp(dir), undefined, 'a package.json without "micro" is no app');
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'shop', micro: { services: { web: { depends: ['api'] }, api: {} } } }),
    );
    const app = findApp(dir);
    assert.equal(app?.source, 'package.json "micro"');
    assert.deepEqual(
      app?.services.map((s) => [s.name, s.path]),
      [
        ['api', './api'],
        ['web', './web'],
      ],
      'dependencies first; the path defaults to ./NAME',
    );
    writeFileSync(join(dir, 'micro.json'), JSON.stringify({ services: { only: {} } }));
    assert.equal(findApp(dir)?.source, 'micro.json', 'micro.json wins');
    writeFileSync(
      join(dir, 'micro.json'),
      `{"services": {"a": {}}, "env": {"PAD": "${'x'.repeat(1 << 20)}"}}`,
    );
    assert.throws(
      () => findApp(dir),
      (e: unknown) =>
        e instanceof MicroError && e.code === 400 && /is over 1048576 bytes/.test(e.detail),
      'a definition over 1 MiB is refused unread',
    );
  });

  it('layers the environment: app, service, then the chosen block and its per-service part', () => {
    const app = parseApp('/app', 'micro.json', {
      env: { A: 'app', B: 'app', C: 'app' },
      services: { s: { env: { B: 'service', C: 'service' } } },
      environments: { prod: { env: { C: 'prod', D: 'prod' }, services: { s: { D: 'prod-s' } } } },
    });
    const [s] = app.services;
    assert.ok(s);
    assert.deepEqual(serviceEnv(app, s), { A: 'app', B: 'service', C: 'service' });
    assert.deepEqual(serviceEnv(app, s, 'prod'), {
      A: 'app',
      B: 'service',
      C: 'prod',
      D: 'prod-s',
    });
  });

  it('refuses what it cannot run, saying where', () => {
    refused([], /needs "services"/);
    refused({ services: {} }, /1 to 256 services/);
    refused({ services: { Bad_Name: {} } }, /services\.Bad_Name: a service name/);
    refused({ services: { a: { depends: 'b' } } }, /services\.a\.depends must be a list/);
    refused({ services: { a: { depends: ['b'] } } }, /a depends on b, which the app does not list/);
    refused({ services: { a: { env: { X: 1 } } } }, /services\.a\.env\.X must be a string/);
    refused(
      { services: { a: {} }, environments: { p: { services: { b: {} } } } },
      /no such service/,
    );
    refused(
      { services: { a: { depends: ['b'] }, b: { depends: ['c'] }, c: { depends: ['a'] } } },
      /circle: a -> b -> c -> a/,
    );
  });
});
