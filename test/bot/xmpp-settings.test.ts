// The XMPP input's settings (MICRO_BOT_XMPP_*), read and checked before it connects: what each
// becomes, and each bad one a TypeError naming its variable (from the input's factory too).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xmpp } from '../../src/bot/inputs/xmpp.ts';
import { xmppSettings } from '../../src/bot/inputs/xmpp-settings.ts';

const good = {
  MICRO_BOT_XMPP_SERVICE: 'xmpp://127.0.0.1:5222',
  MICRO_BOT_XMPP_JID: 'bot@localhost',
  MICRO_BOT_XMPP_PASSWORD: 'pw',
};

describe('the XMPP input settings', () => {
  it('reads the account, the server and the rooms', () => {
    assert.deepEqual(xmppSettings(good), {
      service: 'xmpp://127.0.0.1:5222',
      domain: 'localhost',
      username: 'bot',
      resource: 'micro-bot',
      password: 'pw',
      rooms: [],
      loopback: true,
    });
    const s = xmppSettings({
      MICRO_BOT_XMPP_SERVICE: 'xmpps://xmpp.example.org:5223',
      MICRO_BOT_XMPP_JID: 'bot/ops',
      MICRO_BOT_XMPP_DOMAIN: 'Example.org',
      MICRO_BOT_XMPP_PASSWORD: 'pw',
      MICRO_BOT_XMPP_ROOMS: ' Ops@muc.example.org/opsbot, dev@muc.example.org ,',
    });
    assert.deepEqual(
      [s.domain, s.username, s.resource, s.loopback],
      ['example.org', 'bot', 'ops', false],
    );
    assert.deepEqual(s.rooms, [
      { jid: 'ops@muc.example.org', nick: 'opsbot' },
      { jid: 'dev@muc.example.org', nick: 'bot' },
    ]);
  });

  const cases: [NodeJS.ProcessEnv, string][] = [
    [{ MICRO_BOT_XMPP_SERVICE: undefined }, 'MICRO_BOT_XMPP_SERVICE'],
    [{ MICRO_BOT_XMPP_SERVICE: 'http://127.0.0.1:5222' }, 'MICRO_BOT_XMPP_SERVICE'],
    [{ MICRO_BOT_XMPP_SERVICE: 'not a url' }, 'MICRO_BOT_XMPP_SERVICE'],
    [{ MICRO_BOT_XMPP_JID: undefined }, 'MICRO_BOT_XMPP_JID'],
    [{ MICRO_BOT_XMPP_JID: 'bot' }, 'MICRO_BOT_XMPP_JID'],
    [{ MICRO_BOT_XMPP_JID: 'b<o>t@localhost' }, 'MICRO_BOT_XMPP_JID'],
    [{ MICRO_BOT_XMPP_DOMAIN: 'example.org' }, 'MICRO_BOT_XMPP_DOMAIN'],
    [{ MICRO_BOT_XMPP_PASSWORD: '' }, 'MICRO_BOT_XMPP_PASSWORD'],
    [
      { MICRO_BOT_XMPP_ROOMS: 'ops@conference.localhost, conference.localhost' },
      'MICRO_BOT_XMPP_ROOMS',
    ],
    [
      { MICRO_BOT_XMPP_ROOMS: Array.from({ length: 51 }, (_, i) => `r${i}@muc.localhost`).join() },
      'MICRO_BOT_XMPP_ROOMS',
    ],
  ];
  for (const [change, name] of cases)
    it(`a bad ${name} (${JSON.stringify(change).slice(0, 80)}) is a TypeError naming it`, () => {
      assert.throws(
        () => xmpp({ ...good, ...change }, { info() {}, warn() {} }),
        (err: unknown) => err instanceof TypeError && err.message.startsWith(name),
      );
    });
});
