// The MICRO_BOT_* settings: defaults, lists, and a TypeError naming the variable for a bad value;
// and a chat user's roles from the accounts whose metadata `chat` names them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InputFactory } from '../../src/bot/bot.ts';
import { rolesFromAccounts } from '../../src/bot/roles.ts';
import { botSettingsFromEnv } from '../../src/bot/settings.ts';
import type { Account } from '../../src/platform/auth/auth.ts';

const none: InputFactory = () => {
  throw new Error('not made here');
};
const table = { stdin: none, slack: none, xmpp: none };

describe('botSettingsFromEnv', () => {
  it('gives the defaults with nothing set', () => {
    const s = botSettingsFromEnv({}, table);
    assert.deepEqual(
      s.inputs.map(([n]) => n),
      ['stdin'],
    );
    assert.equal(s.allow, undefined);
    assert.equal(s.roles, undefined);
    assert.deepEqual([s.rate, s.burst, s.timeout], [1, 5, 30_000]);
    assert.deepEqual([s.helpEndpoint, s.execEndpoint], ['Command.Help', 'Command.Exec']);
  });

  it('reads lists and numbers', () => {
    const s = botSettingsFromEnv(
      {
        MICRO_BOT_INPUTS: 'slack, STDIN,slack',
        MICRO_BOT_ALLOW: 'xmpp:alice@example.org,slack:*',
        MICRO_BOT_ROLES: 'ops',
        MICRO_BOT_RATE: '0.5',
        MICRO_BOT_BURST: '3',
        MICRO_BOT_TIMEOUT: '1000',
        MICRO_BOT_HELP: 'Ops.Help',
      },
      table,
    );
    assert.deepEqual(
      s.inputs.map(([n]) => n),
      ['slack', 'stdin'],
    );
    assert.deepEqual(s.allow, ['xmpp:alice@example.org', 'slack:*']);
    assert.deepEqual([s.roles, s.rate, s.burst, s.timeout], [['ops'], 0.5, 3, 1000]);
    assert.equal(s.helpEndpoint, 'Ops.Help');
  });

  it('refuses a bad value with a TypeError naming its variable', () => {
    const bad: [string, string, RegExp][] = [
      [
        'MICRO_BOT_INPUTS',
        'irc',
        /^unknown bot input "irc" \(MICRO_BOT_INPUTS\): use one of stdin, slack, xmpp$/,
      ],
      ['MICRO_BOT_ALLOW', 'alice', /^MICRO_BOT_ALLOW takes .* not "alice"$/],
      [
        'MICRO_BOT_ALLOW',
        'slak:U1',
        /^MICRO_BOT_ALLOW names "slak:U1", but there is no input "slak": use one of stdin, slack, xmpp$/,
      ],
      ['MICRO_BOT_ROLES', 'a b', /^MICRO_BOT_ROLES takes up to 32 auth roles/],
      ['MICRO_BOT_RATE', '-1', /^MICRO_BOT_RATE must be commands a second per user/],
      ['MICRO_BOT_BURST', '1.5', /^MICRO_BOT_BURST must be a whole number/],
      ['MICRO_BOT_TIMEOUT', '10s', /^MICRO_BOT_TIMEOUT must be whole ms/],
      ['MICRO_BOT_EXEC', 'Exec', /^MICRO_BOT_EXEC must be an endpoint name such as Command.Exec/],
    ];
    for (const [name, value, message] of bad)
      assert.throws(
        () => botSettingsFromEnv({ [name]: value }, table),
        (err: unknown) => {
          assert.ok(err instanceof TypeError, name);
          assert.match(err.message, message);
          return true;
        },
      );
  });
});

describe('rolesFromAccounts', () => {
  const account = (id: string, chat: string, roles: string[], disabled = false): Account => ({
    id,
    type: 'user',
    roles,
    scopes: [],
    metadata: { chat },
    created: 0,
    disabled,
  });

  it('gives the roles of the accounts naming the user, reading the accounts once for a while', async () => {
    let reads = 0;
    const rolesOf = rolesFromAccounts(async () => {
      reads++;
      return [
        account('alice', 'xmpp:alice@example.org, slack:U01', ['admin']),
        account('ops', 'slack:U01', ['ops']),
        account('old', 'slack:U02', ['admin'], true),
      ];
    });
    assert.deepEqual(await rolesOf({ input: 'slack', id: 'U01' }), ['admin', 'ops']);
    assert.deepEqual(await rolesOf({ input: 'xmpp', id: 'alice@example.org' }), ['admin']);
    assert.deepEqual(
      await rolesOf({ input: 'slack', id: 'U02' }),
      [],
      'a disabled account gives none',
    );
    assert.deepEqual(await rolesOf({ input: 'xmpp', id: 'U01' }), []);
    assert.equal(reads, 1);
  });

  it('does not remember a failed read', async () => {
    let reads = 0;
    const rolesOf = rolesFromAccounts(async () => {
      if (++reads === 1) throw new Error('auth down');
      return [account('alice', 'xmpp:a@b', ['admin'])];
    });
    await assert.rejects(rolesOf({ input: 'xmpp', id: 'a@b' }), /auth down/);
    assert.deepEqual(await rolesOf({ input: 'xmpp', id: 'a@b' }), ['admin']);
  });
});
