// The accounts of supervised services: each gets a working secret, renewed on each start; the
// accounts of micro's own parts (the control plane's, the gateway's) and users' are never handed out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryAuth } from '../../src/platform/auth/memory.ts';
import {
  CONTROL_PLANE_ACCOUNT,
  GATEWAY_ACCOUNT,
  serviceAccounts,
} from '../../src/controlplane/service-accounts.ts';
import type { MicroError } from '../../src/runtime/errors.ts';

describe('service accounts', () => {
  it('gives a service its account, with a fresh secret that gets a token each time', async () => {
    const auth = createMemoryAuth();
    const accounts = serviceAccounts(auth);
    const first = await accounts.credentials('greeter');
    assert.equal(first.MICRO_AUTH, 'on');
    assert.equal(first.MICRO_AUTH_ID, 'greeter');
    const second = await accounts.credentials('greeter');
    assert.notEqual(second.MICRO_AUTH_SECRET, first.MICRO_AUTH_SECRET);
    const login = (secret: string | undefined) =>
      auth.token({ grant_type: 'client_credentials', client_id: 'greeter', client_secret: secret });
    assert.ok((await login(second.MICRO_AUTH_SECRET)).access_token);
    await assert.rejects(login(first.MICRO_AUTH_SECRET), (e: MicroError) => e.code === 401);
    assert.equal((await auth.getAccount('greeter')).type, 'service');
  });

  it("refuses micro's own accounts and a user's account to a service, with a 409", async () => {
    const auth = createMemoryAuth();
    await auth.createAccount({ id: 'ann', type: 'user', secret: 'a-secret-of-ann' });
    const accounts = serviceAccounts(auth);
    for (const name of [CONTROL_PLANE_ACCOUNT, GATEWAY_ACCOUNT, 'ann'])
      await assert.rejects(
        accounts.credentials(name),
        (e: MicroError) => e.code === 409 && e.detail.includes(name) && /--name/.test(e.detail),
        name,
      );
    // The gateway's own account is still made for micro itself.
    assert.equal((await accounts.account(GATEWAY_ACCOUNT)).id, GATEWAY_ACCOUNT);
  });
});
