// MICRO_AUTH=on end to end: services made with the platform's createService against a real
// control plane, getting their tokens from its token endpoint and its snapshot every refresh.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMicroAuth } from '../../../src/platform/auth/client.ts';
import { authEnabled, credentialsFromEnv } from '../../../src/platform/auth/enforce.ts';
import { createService, type PlatformService } from '../../../src/platform/service.ts';
import { createMicroRegistry } from '../../../src/registry/micro.ts';
import type { Context, MicroError } from '../../../src/runtime/index.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import type { RunningServer } from '../../helpers/server-process.ts';

const secrets = {
  ledger: 'ledger-secret-0001',
  billing: 'billing-secret-0002',
  ann: 'ann-password-0003',
};

describe('MICRO_AUTH=on with the control plane', () => {
  const lines: string[] = [];
  const logger = {
    info: (m: string) => lines.push(m),
    warn: (m: string) => lines.push(m),
    error: (m: string) => lines.push(m),
  };
  const tokens: string[] = [];
  let cp: RunningServer;
  let admin: ReturnType<typeof createMicroAuth>;
  let registry: ReturnType<typeof createMicroRegistry>;
  const services: PlatformService[] = [];
  let annToken = '';

  /** A platform service made with MICRO_AUTH=on and its account's credentials in the environment. */
  const enforced = (name: keyof typeof secrets): PlatformService => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      MICRO_AUTH: 'on',
      MICRO_AUTH_ID: name,
      MICRO_AUTH_SECRET: secrets[name],
      MICRO_AUTH_REFRESH: '200',
    });
    try {
      const s = createService({ name, registry, logger, handleSignals: false });
      services.push(s);
      return s;
    } finally {
      for (const k of ['MICRO_AUTH', 'MICRO_AUTH_ID', 'MICRO_AUTH_SECRET', 'MICRO_AUTH_REFRESH'])
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
    }
  };

  before(async () => {
    cp = await startTestControlPlane('micro-auth-enforce-');
    admin = createMicroAuth({ address: cp.address });
    for (const [id, secret] of Object.entries(secrets))
      await admin.createAccount({
        id,
        secret,
        type: id === 'ann' ? 'user' : 'service',
        roles: id === 'ann' ? ['reader'] : [],
      });
    await admin.createRule({
      who: 'account:billing',
      resource: { kind: 'service', name: 'ledger', action: '*' },
      access: 'allow',
    });
    await admin.createRule({
      who: 'role:reader',
      resource: { kind: 'service', name: 'billing', action: 'Billing.*' },
      access: 'allow',
    });
    registry = createMicroRegistry({ address: cp.address });
    const ledger = enforced('ledger');
    ledger.handle('Ledger', {
      Post: async (_req: unknown, ctx: Context) => ({
        caller: ctx.caller?.id,
        user: ctx.caller?.user?.id ?? null,
      }),
    });
    const billing = enforced('billing');
    billing.handle('Billing', {
      Charge: async (_req: unknown, ctx: Context) => ctx.call('ledger', 'Ledger.Post', {}),
    });
    await ledger.start();
    await billing.start();
    const got = await admin.token({
      grant_type: 'password',
      username: 'ann',
      password: secrets.ann,
    });
    annToken = got.access_token;
    tokens.push(got.access_token, got.refresh_token);
  });
  after(async () => {
    for (const s of services) await s.stop();
    await registry.close();
    await admin.close();
    await cp.stop();
    for (const line of lines) {
      for (const t of tokens) assert.ok(!line.includes(t), `a token was logged: ${line}`);
      for (const s of Object.values(secrets)) assert.ok(!line.includes(s), 'a secret was logged');
    }
  });

  const post = async (service: PlatformService, endpoint: string, token?: string) => {
    const res = await fetch(`http://${service.server.address}/`, {
      method: 'POST',
      headers: {
        'micro-endpoint': endpoint,
        'content-type': 'application/json',
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: '{}',
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("calls through with the service's own token and the user's, each verified", async () => {
    const r = await post(services[1]!, 'Billing.Charge', annToken);
    assert.deepEqual(r, { status: 200, body: { caller: 'billing', user: 'ann' } });
  });

  it('refuses a caller with no token (401) and one no rule allows (403)', async () => {
    const ledger = services[0]!;
    const none = await post(ledger, 'Ledger.Post');
    assert.equal(none.status, 401);
    const ann = await post(ledger, 'Ledger.Post', annToken);
    assert.equal(ann.status, 403);
    assert.match((ann.body as unknown as MicroError).detail, /account ann/);
    const debug = await post(ledger, 'Debug.Health', annToken);
    assert.equal(debug.status, 200, 'Debug.* takes any authenticated caller');
  });

  it('reads its settings from the environment, refusing half of them', () => {
    assert.equal(authEnabled({}), false);
    assert.equal(authEnabled({ MICRO_AUTH: 'on' }), true);
    assert.throws(() => authEnabled({ MICRO_AUTH: 'yes' }), /MICRO_AUTH must be on or off/);
    assert.throws(() => credentialsFromEnv({ MICRO_AUTH_ID: 'x' }), /MICRO_AUTH_SECRET/);
    assert.deepEqual(credentialsFromEnv({ MICRO_AUTH_TOKEN: 't' }), { token: 't' });
  });
});
