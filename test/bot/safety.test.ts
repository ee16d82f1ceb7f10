// createSafety: commands that change state only for allowed users or roles, every command under a
// per-user rate limit, refusals as 403/429 MicroErrors saying what to configure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatUser, Command } from '../../src/bot/bot.ts';
import { rolesFromAccounts } from '../../src/bot/roles.ts';
import { createSafety } from '../../src/bot/safety.ts';
import { MicroError } from '../../src/runtime/errors.ts';

const command = (name: string, changes: boolean): Command => ({
  name,
  pattern: new RegExp(`^${name}`),
  usage: name,
  description: name,
  changes,
  run: async () => [],
});
const call = command('call', true);
const ping = command('ping', false);
const alice: ChatUser = { input: 'xmpp', id: 'alice@example.org' };
const bob: ChatUser = { input: 'slack', id: 'U0BOB' };

const refusal = (code: number, detail: RegExp) => (err: unknown) => {
  assert.ok(err instanceof MicroError);
  assert.equal(err.code, code);
  assert.match(err.detail, detail);
  return true;
};

describe('createSafety', () => {
  it('refuses a state change to an unknown user, saying what to configure', async () => {
    const safety = createSafety({ rate: 0 });
    await safety.check(alice, ping);
    await assert.rejects(
      safety.check(alice, call),
      refusal(
        403,
        /^alice@example\.org may not run call: it changes state; allow it with MICRO_BOT_ALLOW=xmpp:alice@example\.org or give the account whose metadata chat=xmpp:alice@example\.org the role admin$/,
      ),
    );
    safety.close();
  });

  it('allows a user on the list, every user of an input with input:*, and the terminal', async () => {
    const safety = createSafety({ allow: ['xmpp:alice@example.org', 'slack:*'], rate: 0 });
    await safety.check(alice, call);
    await safety.check(bob, call);
    await assert.rejects(
      safety.check({ input: 'xmpp', id: 'eve@example.org' }, call),
      refusal(403, /eve/),
    );
    await createSafety({ rate: 0 }).check({ input: 'stdin', id: 'root' }, call);
    safety.close();
  });

  it('allows by role, asking the auth area once for a while, and says when it cannot be asked', async () => {
    const asked: string[] = [];
    const safety = createSafety({
      roles: ['ops', 'admin'],
      rate: 0,
      rolesOf: async (u) => {
        asked.push(u.id);
        if (u.id === 'down') throw new Error('auth service unavailable');
        return u.id === alice.id ? ['ops'] : ['viewer'];
      },
    });
    await safety.check(alice, call);
    await safety.check(alice, call);
    assert.deepEqual(asked, [alice.id], 'the roles are cached');
    await assert.rejects(safety.check(bob, call), refusal(403, /one of the roles ops, admin$/));
    await assert.rejects(
      safety.check({ input: 'slack', id: 'down' }, call),
      refusal(403, /\(its roles could not be read: auth service unavailable\)$/),
    );
    safety.close();
  });

  it('limits commands per user with a 429 carrying the wait, other users unaffected', async () => {
    const safety = createSafety({ rate: 0.001, burst: 2 });
    await safety.check(alice, ping);
    await safety.check(alice, ping);
    await assert.rejects(safety.check(alice, ping), (err: unknown) => {
      assert.ok(err instanceof MicroError);
      assert.equal(err.code, 429);
      assert.match(
        err.detail,
        /^alice@example\.org sent too many commands .* MICRO_BOT_RATE and MICRO_BOT_BURST\)$/,
      );
      assert.ok((err.retryAfter ?? 0) >= 1);
      return true;
    });
    await safety.check(bob, ping);
    for (let i = 0; i < 10; i++) await safety.check({ input: 'stdin', id: 'me' }, ping);
    safety.close();
  });

  it('matches an XMPP address in any case, as XMPP does, and a Slack id exactly', async () => {
    const safety = createSafety({ rate: 0, allow: ['xmpp:Alice@Example.org', 'slack:u0bob'] });
    await safety.check(alice, call);
    await assert.rejects(safety.check(bob, call), refusal(403, /^U0BOB may not run call/));
    safety.close();
    const byRole = createSafety({
      rate: 0,
      rolesOf: rolesFromAccounts(async () => [
        {
          id: 'alice',
          type: 'user',
          roles: ['admin'],
          scopes: [],
          metadata: { chat: 'slack:U0ZED, xmpp:ALICE@example.org' },
          created: 0,
          disabled: false,
        },
      ]),
    });
    await byRole.check(alice, call);
    byRole.close();
  });
});
