import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Rule } from '../../../src/platform/auth/auth.ts';
import { bearer, createVerifier, type Verifier } from '../../../src/platform/auth/verifier.ts';
import { MicroError } from '../../../src/runtime/errors.ts';
import {
  badTokens,
  claimsOf,
  mintToken,
  strangerKey,
  type SigningKey,
} from '../../helpers/tokens.ts';
import { fakeAuth, jwksOf } from '../../helpers/auth-source.ts';

const allow = (id: string, who: string, name: string, action = '*'): Rule => ({
  id,
  who,
  resource: { kind: 'service', name, action },
  access: 'allow',
  priority: 0,
});

/** The 401 a verify throws, checked to name the reason and never hold the token. */
async function refusal(v: Verifier, token: string): Promise<MicroError> {
  try {
    await v.verify(token);
  } catch (err) {
    assert.ok(err instanceof MicroError);
    assert.equal(err.code, 401);
    assert.ok(!err.detail.includes(token) && !JSON.stringify(err).includes(token));
    return err;
  }
  assert.fail('the token was accepted');
}

describe('verifier', () => {
  let key: SigningKey;
  let source: ReturnType<typeof fakeAuth>;
  let v: Verifier;
  before(async () => {
    key = await strangerKey('k1');
    source = fakeAuth(key, [allow('a', 'role:reader', 'greeter', 'Say.*')]);
    v = createVerifier({ source, refresh: 50 });
  });
  after(() => v.close());

  it('names the caller of a good token, and answers a repeat synchronously', async () => {
    const token = await mintToken(
      key,
      claimsOf('ann', { roles: ['reader'], scope: 'a b', metadata: { team: 'x' } }),
    );
    const caller = await v.verify(token);
    assert.deepEqual(
      { ...caller },
      { id: 'ann', type: 'user', roles: ['reader'], scopes: ['a', 'b'], metadata: { team: 'x' } },
    );
    const again = v.verify(token);
    assert.ok(!(again instanceof Promise));
    assert.equal(again, caller);
  });

  it('refuses every bad token with a 401 that says why', async () => {
    const bad = await badTokens(key, 'ann');
    const expected: Record<string, RegExp> = {
      expired: /expired/,
      'not yet valid': /not yet valid/,
      'wrongly signed': /bad signature/,
      'alg none': /bad signature|malformed/,
      'wrong audience': /wrong audience/,
      'wrong issuer': /wrong issuer/,
      garbage: /malformed/,
    };
    for (const [what, token] of Object.entries(bad)) {
      const err = await refusal(v, token);
      assert.match(err.detail, expected[what]!, what);
    }
    const other = await strangerKey('k-unknown');
    assert.match((await refusal(v, await mintToken(other, claimsOf('ann')))).detail, /unknown key/);
  });

  it('refuses a revoked token and an account revoked whole, even once cached', async () => {
    const claims = claimsOf('bob');
    const token = await mintToken(key, claims);
    await v.verify(token);
    const next = v.next();
    source.change((s) => s.revoked.push({ jti: claims.jti, exp: claims.exp }));
    await next;
    assert.match((await refusal(v, token)).detail, /revoked/);

    const carl = await mintToken(key, claimsOf('carl'));
    await v.verify(carl);
    const then = v.next();
    source.change((s) => (s.revokedBefore.carl = Math.floor(Date.now() / 1000) + 1));
    await then;
    assert.match((await refusal(v, carl)).detail, /revoked/);
  });

  it('authorises by the current rules: 403 naming the account, 401 for no caller', async () => {
    const ann = await v.verify(await mintToken(key, claimsOf('ann', { roles: ['reader'] })));
    v.authorize(ann, { kind: 'service', name: 'greeter', action: 'Say.Hello' });
    assert.throws(
      () => v.authorize(ann, { kind: 'service', name: 'greeter', action: 'Admin.Reset' }),
      (e: MicroError) => e.code === 403 && /ann/.test(e.detail) && /Admin\.Reset/.test(e.detail),
    );
    assert.throws(
      () => v.authorize(undefined, { kind: 'service', name: 'greeter', action: 'Say.Hello' }),
      (e: MicroError) => e.code === 401,
    );
    const next = v.next();
    source.change((s) => s.rules.push(allow('b', 'account:ann', 'greeter', 'Admin.*')));
    await next;
    v.authorize(ann, { kind: 'service', name: 'greeter', action: 'Admin.Reset' });
  });

  it('keeps the last snapshot while polls fail, and takes the next once they pass', async () => {
    const token = await mintToken(key, claimsOf('dee'));
    source.failing = true;
    const polls = source.polls;
    // Bounded: a few refresh periods at most.
    for (let i = 0; i < 200 && source.polls < polls + 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.ok(source.polls >= polls + 2);
    assert.equal((await v.verify(token)).id, 'dee');
    const next = v.next();
    source.failing = false;
    source.change((s) => (s.rules = []));
    assert.deepEqual((await next).rules, []);
  });

  it('says 503 while it has never had a snapshot', async () => {
    const dead = createVerifier({
      source: { snapshot: () => Promise.reject(new Error('down')) },
      refresh: 1000,
    });
    try {
      await assert.rejects(
        async () => dead.verify(await mintToken(key, claimsOf())),
        (e: MicroError) => e.code === 503 && /down/.test(e.detail),
      );
    } finally {
      dead.close();
    }
  });
});

/** A verifier whose source is read only for unknown keys (no regular poll), its reads counted and gated. */
interface Rotating {
  key: SigningKey;
  source: ReturnType<typeof fakeAuth>;
  v: Verifier;
  /** Reads of the source since the first snapshot. */
  reads: number;
  /** Holds every read of the source until it resolves, when set. */
  gate?: Promise<void>;
}

async function rotating(): Promise<Rotating> {
  const key = await strangerKey('old');
  const source = fakeAuth(key);
  const r = { key, source, reads: 0 } as Rotating;
  r.v = createVerifier({
    source: {
      snapshot: async () => {
        r.reads++;
        await r.gate;
        return source.snapshot();
      },
    },
    refresh: 600_000,
  });
  after(() => r.v.close());
  await r.v.snapshot();
  r.reads = 0;
  return r;
}

describe('verifier, after a key rotation', () => {
  it('takes a token of a key rotated in since its snapshot at once, reading the source once', async () => {
    const r = await rotating();
    const rotated = await strangerKey('new');
    r.source.change((s) => (s.jwks = jwksOf(r.key, rotated)));
    assert.equal((await r.v.verify(await mintToken(rotated, claimsOf('ann')))).id, 'ann');
    assert.equal(r.reads, 1);
    // Known now: another token of that key reads nothing.
    assert.equal((await r.v.verify(await mintToken(rotated, claimsOf('bob')))).id, 'bob');
    assert.equal(r.reads, 1);
  });

  it('reads the source once for many tokens of unknown keys at once, and refuses them all', async () => {
    const r = await rotating();
    const stranger = await strangerKey('never');
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) => mintToken(stranger, claimsOf(`u${i}`))),
    );
    let release!: () => void;
    r.gate = new Promise((resolve) => (release = resolve));
    const refused = Promise.all(tokens.map((t) => refusal(r.v, t)));
    // The first refusal starts a read; the others, meanwhile, wait for that one.
    for (let i = 0; i < 1000 && r.reads === 0; i++) await new Promise(setImmediate);
    for (let i = 0; i < 20; i++) await new Promise(setImmediate);
    release();
    for (const err of await refused) assert.match(err.detail, /unknown key/);
    assert.equal(r.reads, 1);
  });
});

describe('bearer', () => {
  it('takes the token of a Bearer authorization, in any case of the scheme', () => {
    assert.equal(bearer({ authorization: 'Bearer abc.def.ghi' }), 'abc.def.ghi');
    assert.equal(bearer('bearer abc'), 'abc');
    assert.equal(bearer('BEARER  abc '), 'abc');
    assert.equal(bearer({}), undefined);
    assert.equal(bearer(undefined), undefined);
  });

  it('refuses any other shape with a 401 that does not echo it', () => {
    for (const bad of ['Basic dXNlcjpwdw==', 'Bearer', 'Bearer ', 'Bearer s3cr3t x', 's3cr3t']) {
      assert.throws(
        () => bearer({ authorization: bad }),
        (e: MicroError) => e.code === 401 && !/s3cr3t|dXNlcjpwdw/.test(e.detail),
        bad,
      );
    }
  });
});
