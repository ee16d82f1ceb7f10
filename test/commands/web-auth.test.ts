// `micro web` with MICRO_AUTH=on, as a process: it reads the control plane's auth snapshot with its
// own service account, serves the login page, logs an account of the control plane in with a
// session cookie, and refuses a request with no session. (The control plane here runs with auth
// off, so that accounts are made over plain RPC; `micro run --auth` is tested with it.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dashboardAuthFromEnv } from '../../src/commands/shared/dashboard.ts';
import { createMicroAuth } from '../../src/platform/auth/client.ts';
import type { Auth } from '../../src/platform/auth/auth.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { postJson } from '../helpers/fixtures.ts';
import { freePort } from '../helpers/net.ts';
import { startNode, stopAll } from '../helpers/proc.ts';
import type { RunningServer } from '../helpers/server-process.ts';

const bin = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));

describe('micro web with MICRO_AUTH=on', () => {
  let cp: RunningServer;
  let auth: Auth;
  let base = '';

  before(async () => {
    cp = await startTestControlPlane('micro-web-auth-');
    auth = createMicroAuth({ address: cp.address });
    await auth.createAccount({ id: 'web', type: 'service', secret: 'web-secret-12345' });
    await auth.createAccount({ id: 'ann', type: 'user', secret: 'ann-secret-12345' });
    const address = `127.0.0.1:${await freePort()}`;
    const web = startNode(bin, ['web', '--web-address', address], {
      MICRO_REGISTRY_ADDRESS: cp.address,
      MICRO_AUTH: 'on',
      MICRO_AUTH_ID: 'web',
      MICRO_AUTH_SECRET: 'web-secret-12345',
    });
    await web.waitFor(/web dashboard on .*auth on: log in at \/_\/login/, 20_000);
    base = `http://${address}`;
  });
  after(async () => {
    await stopAll();
    await auth.close();
    await cp.stop();
  });

  it('is off unless MICRO_AUTH says on, and asks for its account when on', async () => {
    assert.equal(await dashboardAuthFromEnv({}), undefined);
    assert.equal(await dashboardAuthFromEnv({ MICRO_AUTH: 'off' }), undefined);
    await assert.rejects(dashboardAuthFromEnv({ MICRO_AUTH: 'on' }), /MICRO_AUTH_ID/);
    await assert.rejects(dashboardAuthFromEnv({ MICRO_AUTH: 'maybe' }), /on or off/);
  });

  it('logs an account in with a session cookie, and refuses a request with none', async () => {
    const none = await fetch(`${base}/_/api/services`);
    assert.equal(none.status, 401);
    const wrong = await postJson(`${base}/_/api/login`, { id: 'ann', secret: 'not-her-secret' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.getSetCookie().length, 0);
    const login = await postJson(`${base}/_/api/login`, { id: 'ann', secret: 'ann-secret-12345' });
    assert.equal(login.status, 200, await login.clone().text());
    const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const who = await fetch(`${base}/_/api/session`, { headers: { cookie } });
    assert.deepEqual(await who.json(), { auth: true, id: 'ann', type: 'user', roles: [] });
    const page = await fetch(`${base}/_/login`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /id="login"/);
  });
});
