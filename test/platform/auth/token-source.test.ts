import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TokenRequest, TokenResponse } from '../../../src/platform/auth/auth.ts';
import { tokenSource } from '../../../src/platform/auth/token-source.ts';

/** A token endpoint numbering its tokens, refusing refresh tokens when told to. */
function endpoint() {
  const e = {
    grants: [] as TokenRequest['grant_type'][],
    refuseRefresh: false,
    down: false,
    n: 0,
    async token(r: TokenRequest): Promise<TokenResponse> {
      e.grants.push(r.grant_type);
      if (e.down) throw new Error('unreachable');
      if (r.grant_type === 'refresh_token' && e.refuseRefresh) throw new Error('invalid_grant');
      e.n++;
      return {
        access_token: `t${e.n}`,
        token_type: 'Bearer',
        expires_in: 100,
        refresh_token: `mrt_${e.n}`,
        scope: '',
      };
    },
  };
  return e;
}

describe('token source', () => {
  it('gets a token once, then answers synchronously while it is fresh', async () => {
    const auth = endpoint();
    const now = 1_000_000;
    const tokens = tokenSource({ auth, now: () => now }, { id: 'svc', secret: 'svc-secret-123' });
    assert.equal(await tokens.token(), 't1');
    assert.equal(tokens.token(), 't1');
    assert.deepEqual(auth.grants, ['client_credentials']);
  });

  it('renews at 80% of its life with the refresh token, handing out the old one meanwhile', async () => {
    const auth = endpoint();
    let now = 1_000_000;
    const tokens = tokenSource({ auth, now: () => now }, { id: 'svc', secret: 'svc-secret-123' });
    await tokens.token();
    now += 79_000;
    assert.equal(tokens.token(), 't1');
    assert.deepEqual(auth.grants, ['client_credentials']);
    now += 2_000;
    assert.equal(tokens.token(), 't1', 'still valid: no wait');
    await tokens.renew('not-the-current-one'); // waits for the renewal under way
    assert.equal(tokens.token(), 't2');
    assert.deepEqual(auth.grants, ['client_credentials', 'refresh_token']);
  });

  it('waits for a new token once the old expired, and falls back to the credentials', async () => {
    const auth = endpoint();
    let now = 1_000_000;
    const tokens = tokenSource({ auth, now: () => now }, { id: 'svc', secret: 'svc-secret-123' });
    await tokens.token();
    now += 200_000;
    auth.refuseRefresh = true;
    const next = tokens.token();
    assert.ok(next instanceof Promise);
    assert.equal(await next, 't2');
    assert.deepEqual(auth.grants, ['client_credentials', 'refresh_token', 'client_credentials']);
  });

  it('renews a token a callee refused, once however many ask', async () => {
    const auth = endpoint();
    const tokens = tokenSource(
      { auth, now: () => 1_000_000 },
      { id: 'svc', secret: 'x'.repeat(12) },
    );
    const first = await tokens.token();
    const renewed = await Promise.all([tokens.renew(first), tokens.renew(first)]);
    assert.deepEqual(renewed, [true, true]);
    assert.equal(tokens.token(), 't2');
    assert.equal(auth.n, 2);
    auth.down = true;
    const errors: Error[] = [];
    const failing = tokenSource({ auth, onError: (e) => errors.push(e) }, { id: 'a', secret: 'b' });
    assert.equal(await failing.renew('t9'), false);
    assert.equal(errors.length, 1);
  });

  it('hands out a given token as it is, and cannot renew it', async () => {
    const tokens = tokenSource({ auth: endpoint() }, { token: 'given' });
    assert.equal(tokens.token(), 'given');
    assert.equal(await tokens.renew('given'), false);
  });
});
