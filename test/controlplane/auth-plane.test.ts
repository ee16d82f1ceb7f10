// A control plane with auth on (`micro run --auth`), called as any HTTP client could: the registry,
// store, config, events, db and sync refuse a missing, bad or revoked token with a 401 and a valid
// token that no rule allows with a 403 naming the account; a rule added later lets the call through
// within the refresh bound (MICRO_AUTH_REFRESH, 2 s; the contract says "within 3 s").
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuthCalls, callWith, until } from '../helpers/auth-calls.ts';
import { signingKey } from '../helpers/auth-keys.ts';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane.ts';
import { badTokens } from '../helpers/tokens.ts';

/** One call a user may or may not make, and the resource a rule must allow for it. */
interface Case {
  service: string;
  endpoint: string;
  /** The request, or a maker of a new one for each call. */
  body: unknown;
  resource: { kind: string; name: string; action: string };
}

const record = (name: string) => ({
  name,
  version: '1',
  metadata: {},
  endpoints: [],
  nodes: [{ id: `${name}-1`, address: '127.0.0.1:1', metadata: {} }],
});

let locks = 0;

const cases: Case[] = [
  {
    service: 'registry',
    endpoint: 'Registry.Register',
    body: { service: record('shop'), ttl: 30_000 },
    resource: { kind: 'registry', name: 'shop', action: 'register' },
  },
  {
    service: 'registry',
    endpoint: 'Registry.Deregister',
    body: { service: record('shop') },
    resource: { kind: 'registry', name: 'shop', action: 'deregister' },
  },
  {
    service: 'registry',
    endpoint: 'Registry.Register',
    body: { service: record('topic:orders'), ttl: 30_000 },
    resource: { kind: 'topic', name: 'orders', action: 'subscribe' },
  },
  {
    service: 'store',
    endpoint: 'Store.Put',
    body: { key: 'k', value: 1, database: 'shop' },
    resource: { kind: 'store', name: 'shop/default', action: 'write' },
  },
  {
    service: 'store',
    endpoint: 'Store.Get',
    body: { key: 'k', database: 'shop', table: 'carts' },
    resource: { kind: 'store', name: 'shop/carts', action: 'read' },
  },
  {
    service: 'config',
    endpoint: 'Config.Set',
    body: { namespace: 'shop', path: 'db.max', value: 3 },
    resource: { kind: 'config', name: 'shop/db.max', action: 'write' },
  },
  {
    service: 'config',
    endpoint: 'Config.Get',
    body: { namespace: 'shop', path: 'db' },
    resource: { kind: 'config', name: 'shop/db', action: 'read' },
  },
  {
    service: 'events',
    endpoint: 'Events.Publish',
    body: { topic: 'orders', data: { n: 1 } },
    resource: { kind: 'topic', name: 'orders', action: 'publish' },
  },
  {
    service: 'events',
    endpoint: 'Events.Read',
    body: { topic: 'orders' },
    resource: { kind: 'topic', name: 'orders', action: 'subscribe' },
  },
  {
    service: 'db',
    endpoint: 'Db.Create',
    body: { database: 'shop', collection: 'users', data: { a: 1 } },
    resource: { kind: 'db', name: 'shop/users', action: 'write' },
  },
  {
    service: 'db',
    endpoint: 'Db.Query',
    body: { database: 'shop', collection: 'users' },
    resource: { kind: 'db', name: 'shop/users', action: 'read' },
  },
  {
    service: 'sync',
    endpoint: 'Sync.Lock',
    // A new lock each call: a lock held stays held.
    body: () => ({ name: `jobs-${++locks}`, holder: 'h', ttl: 5000 }),
    resource: { kind: 'sync', name: 'jobs-*', action: 'lock' },
  },
  {
    service: 'sync',
    endpoint: 'Sync.Leader',
    body: { name: 'jobs' },
    resource: { kind: 'sync', name: 'jobs', action: 'read' },
  },
  {
    service: 'registry',
    endpoint: 'Registry.GetService',
    body: { name: 'store' },
    resource: { kind: 'registry', name: 'store', action: 'read' },
  },
];

const label = (c: Case): string => `${c.endpoint} ${JSON.stringify(c.resource)}`;

describe('a control plane with auth on', () => {
  let plane: TestControlPlane;
  let auth: AuthCalls;
  let admin: string;
  let alice: string;
  const call = (c: Case, token?: string) => {
    const address = plane.services[c.service];
    assert.ok(address, `the control plane serves ${c.service}`);
    const body = typeof c.body === 'function' ? (c.body as () => unknown)() : c.body;
    return callWith(address, c.service, c.endpoint, body, token);
  };

  before(async () => {
    plane = await startTestControlPlane('micro-auth-plane-', { auth: true });
    auth = new AuthCalls(plane);
    admin = await auth.admin();
    alice = await auth.account('alice', 'user');
    // Any account may read the registry (a seed rule): alice is denied it here, to be allowed below.
    await auth.allow('account:alice', { kind: 'registry', name: '*', action: 'read' }, 'deny', 1);
    const read = cases.at(-1)!;
    assert.equal((await until(403, () => call(read, alice))).status, 403, 'the deny rule applies');
  });
  after(() => plane?.stop());

  it('says that auth is on in its listing, and gave an admin secret once', () => {
    const listed = Object.fromEntries(plane.controlPlane.listening());
    assert.match(listed.auth ?? '', /^127\.0\.0\.1:\d+ \(on: /);
    assert.ok((plane.adminSecret ?? '').length >= 12);
  });

  it('refuses every call with no token with a 401', async () => {
    for (const c of cases) {
      const a = await call(c);
      assert.equal(a.status, 401, `${label(c)}: ${JSON.stringify(a.body)}`);
    }
  });

  it('refuses expired, not yet valid, wrongly signed, unsigned, wrong-audience, wrong-issuer and garbage tokens with a 401 that never echoes them', async () => {
    const bad = await badTokens(signingKey(join(plane.dataDir, 'micro.db')));
    for (const c of cases)
      for (const [why, token] of Object.entries(bad)) {
        const a = await call(c, token);
        assert.equal(a.status, 401, `${label(c)} with a token ${why}: ${JSON.stringify(a.body)}`);
        assert.ok(!JSON.stringify(a.body).includes(token), 'the refusal echoes the token');
      }
  });

  it('lets the admin make every call', async () => {
    for (const c of cases) {
      const a = await call(c, admin);
      assert.equal(a.status, 200, `${label(c)}: ${JSON.stringify(a.body)}`);
    }
  });

  it('refuses a valid token no rule allows with a 403 naming the account, then allows it once a rule does', async () => {
    for (const c of cases) {
      const a = await call(c, alice);
      assert.equal(a.status, 403, `${label(c)}: ${JSON.stringify(a.body)}`);
      assert.match(String(a.body.detail), /alice/);
    }
    const added = Date.now();
    for (const c of cases) await auth.allow('account:alice', c.resource, 'allow', 2);
    for (const c of cases) {
      const a = await until(200, () => call(c, alice));
      assert.equal(a.status, 200, `${label(c)} once allowed: ${JSON.stringify(a.body)}`);
    }
    // The bound the contract states: a refresh (2 s) and a call. Printed, not asserted.
    console.log(`rule change seen by every service in ${Date.now() - added} ms`);
  });

  it('records config changes as made by the account the token names, whatever the caller says', async () => {
    const config = plane.services.config ?? '';
    const res = await fetch(`http://${config}/`, {
      method: 'POST',
      headers: {
        'micro-service': 'config',
        'micro-endpoint': 'Config.Set',
        'content-type': 'application/json',
        'micro-author': 'mallory',
        authorization: `Bearer ${admin}`,
      },
      body: JSON.stringify({ namespace: 'shop', path: 'owner', value: 'x' }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { author: string }).author, 'admin');
  });

  it('lets a service account register and deregister its own name only', async () => {
    const shop = await auth.account('shop', 'service');
    const registry = plane.services.registry ?? '';
    const own = await callWith(
      registry,
      'registry',
      'Registry.Register',
      { service: record('shop'), ttl: 30_000 },
      shop,
    );
    assert.equal(own.status, 200, JSON.stringify(own.body));
    const other = await callWith(
      registry,
      'registry',
      'Registry.Register',
      { service: record('billing'), ttl: 30_000 },
      shop,
    );
    assert.equal(other.status, 403, JSON.stringify(other.body));
    assert.match(String(other.body.detail), /shop/);
    const gone = await callWith(
      registry,
      'registry',
      'Registry.Deregister',
      { service: record('billing') },
      shop,
    );
    assert.equal(gone.status, 403, JSON.stringify(gone.body));
    const mine = await callWith(
      registry,
      'registry',
      'Registry.Deregister',
      { service: record('shop') },
      shop,
    );
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
  });

  it('lets anyone find the auth service, to ask it for a token', async () => {
    const a = await callWith(plane.services.registry ?? '', 'registry', 'Registry.GetService', {
      name: 'auth',
    });
    assert.equal(a.status, 200, JSON.stringify(a.body));
  });

  it('refuses a revoked token with a 401 on every service', async () => {
    const token = await auth.userToken('alice', 'alice-secret-0123456789');
    const probe = cases.find((c) => c.service === 'store')!;
    assert.equal((await call(probe, token)).status, 200);
    await auth.call('Revoke', { token });
    assert.equal((await until(401, () => call(probe, token))).status, 401);
    for (const c of cases) {
      const a = await call(c, token);
      assert.equal(a.status, 401, `${label(c)} revoked: ${JSON.stringify(a.body)}`);
      assert.match(String(a.body.detail), /revoked/);
    }
  });
});
