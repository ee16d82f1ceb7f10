// `micro run --auth` (and `micro registry --auth`, MICRO_AUTH=on): the first start prints the admin
// secret once on stdout, later starts never again, MICRO_AUTH_ADMIN_SECRET takes one from the
// environment instead (and is not printed); the listing says auth is on; and the CLI's own calls to
// the runtime (ps) work for a caller with MICRO_AUTH_TOKEN and are refused without one.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { callWith } from '../helpers/auth-calls.ts';
import { bin, micro } from '../helpers/cli.ts';
import { scratchDir } from '../helpers/lifecycle.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

const framework = pathToFileURL(join(import.meta.dirname, '../../src/index.ts')).href;

/** A greeter whose answer needs its token (its store) and whose registration needs its account. */
const greeter = `
import { createService } from ${JSON.stringify(framework)};
const service = createService({ name: 'greeter', logger: { info() {}, warn() {}, error() {} } });
service.handle('Say', {
  async Hello(req: { name: string }) {
    await service.store.put('last', req.name);
    return { msg: 'Hello ' + req.name };
  },
});
await service.start();
`;

/** What greeter's Say.Hello answers (found through the registry with the token), or why not. */
async function helloVia(registry: string, token: string): Promise<string> {
  const found = await callWith(
    registry,
    'registry',
    'Registry.GetService',
    { name: 'greeter' },
    token,
  );
  const node = (
    found.body.services as { nodes: { address: string }[] }[] | undefined
  )?.[0]?.nodes.at(-1);
  if (!node) return `not found: ${found.status}`;
  const a = await callWith(node.address, 'greeter', 'Say.Hello', { name: 'Ada' }, token);
  return a.status === 200 ? String(a.body.msg) : `${a.status} ${JSON.stringify(a.body)}`;
}

const SECRET_LINE = /^auth: created account admin; its secret \(shown once\): (\S+)$/;

/** The admin's token from the auth service the listing names. */
async function adminToken(authAddress: string, secret: string): Promise<string> {
  const a = await callWith(authAddress, 'auth', 'Auth.Token', {
    grant_type: 'password',
    username: 'admin',
    password: secret,
  });
  assert.equal(a.status, 200, JSON.stringify(a.body));
  return String(a.body.access_token);
}

describe('micro run --auth', () => {
  after(stopAll);

  it('prints the admin secret on the first start only, and says auth is on', async () => {
    const dataDir = scratchDir('micro-run-auth-');
    const env = {
      MICRO_REGISTRY_ADDRESS: '127.0.0.1:0',
      MICRO_DATA_DIR: dataDir,
      MICRO_API: 'false',
      MICRO_WEB_ADDRESS: '127.0.0.1:0',
    };
    const first = startNode(bin, ['run', '--auth'], env);
    const [, secret] = await first.waitFor(SECRET_LINE, 20_000);
    await first.waitFor(/^log in with: micro login --id admin$/);
    const [, registry] = await first.waitFor(/^ {2}registry +(127\.0\.0\.1:\d+)$/);
    const [, authAt] = await first.waitFor(/^ {2}auth +(127\.0\.0\.1:\d+) \(on: /);
    await first.waitFor(/Press Ctrl-C/);
    const token = await adminToken(authAt!, secret!);

    // The CLI's calls to the runtime carry MICRO_AUTH_TOKEN; without it they are refused.
    const ps = await micro(['ps', '--registry-address', registry!], {
      env: { MICRO_AUTH_TOKEN: token },
    });
    assert.equal(ps.code, 0, ps.stderr);
    const refused = await micro(['ps', '--registry-address', registry!]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /401|token/);
    assert.ok(!refused.stderr.includes(secret!));

    // A service run under it, supervised or in the foreground, runs as its own account.
    const dir = scratchDir('micro-run-auth-svc-');
    mkdirSync(join(dir, 'greeter'));
    writeFileSync(join(dir, 'greeter', 'main.ts'), greeter);
    const withToken = { MICRO_AUTH_TOKEN: token, MICRO_REGISTRY_ADDRESS: registry! };
    const detached = await micro(
      ['run', '-d', join(dir, 'greeter'), '--no-watch', '--wait', '20'],
      {
        env: withToken,
      },
    );
    assert.equal(detached.code, 0, detached.stderr);
    assert.equal(await helloVia(registry!, token), 'Hello Ada');
    const killed = await micro(['kill', 'greeter'], { env: withToken });
    assert.equal(killed.code, 0, killed.stderr);
    const foreground = startNode(bin, ['run', join(dir, 'greeter'), '--no-watch'], {
      ...withToken,
      MICRO_DATA_DIR: dataDir,
    });
    let answer = await helloVia(registry!, token);
    for (let i = 0; i < 200 && answer !== 'Hello Ada'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await helloVia(registry!, token);
    }
    assert.equal(answer, 'Hello Ada', foreground.lines.join('\n'));
    await foreground.stop('SIGINT');
    assert.equal(await first.stop('SIGINT'), 0);

    const again = startNode(bin, ['run'], { ...env, MICRO_AUTH: 'on' });
    await again.waitFor(/Press Ctrl-C/, 20_000);
    assert.ok(
      again.lines.some((l) => /^ {2}auth +\S+ \(on: /.test(l)),
      again.lines.join('\n'),
    );
    assert.ok(!again.lines.some((l) => SECRET_LINE.test(l) || l.includes(secret!)));
    await again.stop('SIGINT');
  });

  it('takes the admin secret from MICRO_AUTH_ADMIN_SECRET and does not print it', async () => {
    const dataDir = scratchDir('micro-registry-auth-');
    const given = 'given-admin-secret-0123456789';
    const plane = startNode(bin, ['registry', '--auth'], {
      MICRO_REGISTRY_ADDRESS: '127.0.0.1:0',
      MICRO_DATA_DIR: dataDir,
      MICRO_AUTH_ADMIN_SECRET: given,
    });
    const [, authAt] = await plane.waitFor(/^ {2}auth +(127\.0\.0\.1:\d+) \(on: /, 20_000);
    await plane.waitFor(/Press Ctrl-C/);
    assert.ok(!plane.lines.some((l) => SECRET_LINE.test(l) || l.includes(given)));
    await adminToken(authAt!, given);
    await plane.stop('SIGINT');
  });
});
