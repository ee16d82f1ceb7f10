// Auth enforced on services called directly: framed RPC, plain HTTP POST and streams, over real
// sockets, with tokens minted by a test key and a snapshot the test edits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createVerifier, type Verifier } from '../../../src/platform/auth/verifier.ts';
import { tokenSource } from '../../../src/platform/auth/token-source.ts';
import {
  authCallWrapper,
  authGuard,
  authPublishWrapper,
  authStreamWrapper,
} from '../../../src/platform/auth/wrappers.ts';
import {
  createClient,
  createMemoryBroker,
  createMemoryRegistry,
  serverStream,
  type Context,
  type MicroError,
  type Service,
} from '../../../src/runtime/index.ts';
import { allowService, fakeAuth, type FakeAuth } from '../../helpers/auth-source.ts';
import { quietService } from '../../helpers/fixtures.ts';
import {
  badTokens,
  claimsOf,
  mintToken,
  strangerKey,
  type SigningKey,
} from '../../helpers/tokens.ts';

describe('auth enforced on a service', () => {
  const registry = createMemoryRegistry();
  const broker = createMemoryBroker();
  const client = createClient({ registry, broker });
  const lines: string[] = [];
  const logger = {
    info: (m: string) => lines.push(m),
    warn: (m: string) => lines.push(m),
    error: (m: string) => lines.push(m),
  };
  const tokens: string[] = [];
  const ticks: { n: number; caller?: string }[] = [];
  let key: SigningKey;
  let auth: FakeAuth;
  let back: Service;
  let front: Service;
  let backVerifier: Verifier;
  let frontVerifier: Verifier;
  let ann = '';
  let bob = '';

  const mint = async (sub: string, over: Parameters<typeof claimsOf>[1] = {}): Promise<string> => {
    const t = await mintToken(key, claimsOf(sub, over));
    tokens.push(t);
    return t;
  };

  before(async () => {
    key = await strangerKey('k1');
    auth = fakeAuth(
      key,
      [
        allowService('role:reader', 'back', 'Back.*'),
        allowService('account:front', 'back'),
        allowService('type:user', 'front', 'Front.*'),
        {
          id: 'ticks',
          who: 'account:front',
          resource: { kind: 'topic', name: 'ticks', action: 'publish' },
          access: 'allow',
          priority: 0,
        },
      ],
      { front: { type: 'service' } },
    );
    const own = auth.token.bind(auth);
    auth.token = async (r) => {
      const got = await own(r);
      tokens.push(got.access_token, got.refresh_token);
      return got;
    };
    backVerifier = createVerifier({ source: auth, id: 'back', refresh: 100 });
    frontVerifier = createVerifier({ source: auth, id: 'front', refresh: 100 });
    back = quietService({ name: 'back', registry, broker, logger, guard: authGuard(backVerifier) });
    back.handle('Back', {
      async Who(_req: unknown, ctx: Context) {
        return { caller: ctx.caller?.id, user: ctx.caller?.user?.id ?? null };
      },
      Count: serverStream(async function* (_req: unknown, ctx: Context) {
        yield ctx.caller?.id;
      }),
    });
    back.subscribe('ticks', (m, ctx) => {
      ticks.push({ n: (m as { n: number }).n, caller: ctx.caller?.id });
    });
    const own2 = tokenSource({ auth }, { id: 'front', secret: 'front-secret-123' });
    front = quietService({
      name: 'front',
      registry,
      broker,
      logger,
      guard: authGuard(frontVerifier),
      wrapCall: [authCallWrapper(own2)],
      wrapStream: [authStreamWrapper(own2)],
      wrapPublish: [authPublishWrapper(own2)],
    });
    front.handle('Front', {
      Relay: async (_req: unknown, ctx: Context) => ctx.call('back', 'Back.Who', {}),
      Stream: async (_req: unknown, ctx: Context) => {
        const s = await front.client.stream('back', 'Back.Count', { parent: ctx });
        s.send({});
        s.end();
        const got: unknown[] = [];
        for await (const m of s) got.push(m);
        return got;
      },
      Tick: async (req: { n: number }, ctx: Context) => ctx.publish('ticks', req),
    });
    await back.start();
    await front.start();
    ann = await mint('ann', { roles: ['reader'] });
    bob = await mint('bob');
  });
  after(async () => {
    await front.stop();
    await back.stop();
    backVerifier.close();
    frontVerifier.close();
    await client.close();
    // No token, refresh token or secret in any line logged.
    for (const line of lines) {
      for (const t of tokens) assert.ok(!line.includes(t), `a token was logged: ${line}`);
      assert.ok(!line.includes('front-secret-123'));
    }
  });

  const bearer = (t: string | undefined): Record<string, string> =>
    t === undefined ? {} : { authorization: `Bearer ${t}` };
  const rpc = (t: string | undefined, service = 'back', endpoint = 'Back.Who') =>
    client.call<Record<string, unknown>>(
      service,
      endpoint,
      {},
      { metadata: bearer(t), retries: 0 },
    );
  const post = async (t: string | undefined): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`http://${back.server.address}/`, {
      method: 'POST',
      headers: { 'micro-endpoint': 'Back.Who', 'content-type': 'application/json', ...bearer(t) },
      body: '{}',
    });
    return { status: res.status, body: await res.json() };
  };
  const stream = async (t: string | undefined): Promise<unknown[]> => {
    const s = await client.stream('back', 'Back.Count', { metadata: bearer(t), retries: 0 });
    s.send({});
    s.end();
    const got: unknown[] = [];
    for await (const m of s) got.push(m);
    return got;
  };
  const code = async (p: Promise<unknown>): Promise<number> => {
    try {
      await p;
      return 200;
    } catch (err) {
      const e = err as MicroError;
      for (const t of tokens) assert.ok(!e.detail.includes(t), 'the refusal echoes a token');
      return e.code;
    }
  };

  it('lets a caller a rule allows in, over RPC, HTTP and a stream, and names it in ctx.caller', async () => {
    assert.deepEqual(await rpc(ann), { caller: 'ann', user: null });
    assert.deepEqual(await post(ann), { status: 200, body: { caller: 'ann', user: null } });
    assert.deepEqual(await stream(ann), ['ann']);
  });

  it('refuses every bad token, no token and a revoked one with 401, a wrong rule with 403', async () => {
    const bad = await badTokens(key, 'ann');
    tokens.push(...Object.values(bad));
    const revokedClaims = claimsOf('ann', { roles: ['reader'] });
    const revoked = await mintToken(key, revokedClaims);
    tokens.push(revoked);
    assert.equal(await code(rpc(revoked)), 200);
    const next = backVerifier.next();
    auth.change((s) => s.revoked.push({ jti: revokedClaims.jti, exp: revokedClaims.exp }));
    await next;
    const cases: [string, string | undefined, number][] = [
      ...Object.entries(bad).map(([what, t]): [string, string, number] => [what, t, 401]),
      ['missing', undefined, 401],
      ['revoked', revoked, 401],
      ['right token, wrong rule', bob, 403],
    ];
    for (const [what, t, status] of cases) {
      assert.equal(await code(rpc(t)), status, `rpc: ${what}`);
      const http = await post(t);
      assert.equal(http.status, status, `http: ${what}`);
      assert.equal((http.body as MicroError).code, status);
      assert.equal(await code(stream(t)), status, `stream: ${what}`);
    }
    assert.match(
      ((await post(bob)).body as MicroError).detail,
      /account bob.*service back Back\.Who/,
    );
  });

  it('applies a rule change without a restart, by the next snapshot', async () => {
    assert.equal(await code(rpc(bob)), 403);
    const next = backVerifier.next();
    auth.change((s) => s.rules.push(allowService('account:bob', 'back', 'Back.Who')));
    await next;
    assert.deepEqual(await rpc(bob), { caller: 'bob', user: null });
    const again = backVerifier.next();
    auth.change((s) => (s.rules = s.rules.filter((r) => r.who !== 'account:bob')));
    await again;
    assert.equal(await code(rpc(bob)), 403);
  });

  it("calls on with the service's own token and the user's, a stream too", async () => {
    assert.deepEqual(await rpc(ann, 'front', 'Front.Relay'), { caller: 'front', user: 'ann' });
    assert.deepEqual(await rpc(ann, 'front', 'Front.Stream'), ['front']);
    // A user token that fails is refused like the caller's.
    await assert.rejects(
      client.call('back', 'Back.Who', {}, { metadata: { ...bearer(ann), 'micro-user': 'x.y.z' } }),
      (e: MicroError) => e.code === 401 && /^micro-user: token refused/.test(e.detail),
    );
    assert.equal(await code(rpc(undefined, 'front', 'Front.Relay')), 401);
  });

  it("delivers an event only from a publisher the topic's rules allow", async () => {
    await client.publish('ticks', { n: 1 }, { metadata: bearer(ann) });
    await client.publish('ticks', { n: 2 });
    await client.call('front', 'Front.Tick', { n: 3 }, { metadata: bearer(ann) });
    for (let i = 0; i < 100 && ticks.length === 0; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(ticks, [{ n: 3, caller: 'front' }]);
  });

  it('renews its own token when the service called refuses it', async () => {
    const jti = auth.issued.get('front')!;
    const next = backVerifier.next();
    auth.change((s) => s.revoked.push({ jti, exp: Math.floor(Date.now() / 1000) + 900 }));
    await next;
    const grants = auth.grants.length;
    assert.deepEqual(await rpc(ann, 'front', 'Front.Relay'), { caller: 'front', user: 'ann' });
    assert.deepEqual(auth.grants.slice(grants), ['refresh_token']);
  });
});
