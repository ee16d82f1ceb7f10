// `micro run --auth` (and `micro registry --auth`, MICRO_AUTH=on): the first start prints the admin
// secret once on stdout, later starts never again, MICRO_AUTH_ADMIN_SECRET takes one from the
// environment instead (and is not printed); the listing says auth is on; and the CLI's own calls to
// the runtime (ps) work for a caller with MICRO_AUTH_TOKEN and are refused without one
// (run-auth-services.test.ts runs services under it).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { callWith } from '../helpers/auth-calls.ts';
import { bin, micro } from '../helpers/cli.ts';
import { scratchDir } from '../helpers/lifecycle.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

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
