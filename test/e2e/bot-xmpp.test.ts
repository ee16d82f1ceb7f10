// `micro bot --inputs xmpp` as a real process, logged in to a real Prosody on loopback, over a real
// control plane with a greeter: alice (on the allow-list) lists the services and calls the greeter
// from her chat client and reads the replies; bob (not on it) is refused with a reply; Prosody
// restarts and the bot comes back by itself and answers again; SIGTERM ends it cleanly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { xml } from '@xmpp/client';
import type { BotStatus } from '../../src/bot/bot.ts';
import { bin, micro, startBench, type Bench } from '../helpers/cli.ts';
import { startNode, type Child } from '../helpers/proc.ts';
import { startProsody, type ProsodyServer } from '../helpers/prosody-server.ts';
import {
  availableFrom,
  connectXmppUser,
  messageFrom,
  type XmppUser,
} from '../helpers/xmpp-user.ts';

const botHere = availableFrom('bot@localhost/micro-bot');

describe('micro bot --inputs xmpp (real Prosody)', () => {
  let prosody: ProsodyServer;
  let bench: Bench;
  let bot: Child;
  let alice: XmppUser;
  let bob: XmppUser;

  before(async () => {
    prosody = await startProsody({ users: { bot: 'bot-pw', alice: 'alice-pw', bob: 'bob-pw' } });
    bench = await startBench();
    bot = startNode(bin, ['bot', '--inputs', 'xmpp'], {
      MICRO_REGISTRY_ADDRESS: bench.controlPlane.address,
      MICRO_BOT_XMPP_SERVICE: prosody.service,
      MICRO_BOT_XMPP_JID: 'bot@localhost',
      MICRO_BOT_XMPP_PASSWORD: 'bot-pw',
      MICRO_BOT_ALLOW: 'xmpp:alice@localhost',
    });
    await bot.waitFor(/^stderr: micro bot: connected: xmpp /, 30_000);
    alice = await connectXmppUser(prosody.service, 'alice', 'alice-pw');
    bob = await connectXmppUser(prosody.service, 'bob', 'bob-pw');
    // Alice sees the bot come and go, so that she writes when it is there (Prosody keeps a message
    // to an absent bot offline, and the bot ignores what was kept).
    await alice.client.send(xml('presence', { to: 'bot@localhost', type: 'subscribe' }));
    await alice.next(botHere);
  });
  after(async () => {
    await alice?.stop();
    await bob?.stop();
    await bot?.stop();
    await bench?.stop();
    await prosody?.stop();
  });

  /** Sends a command to the bot and resolves with the text of its reply. */
  const ask = async (who: XmppUser, text: string): Promise<string> => {
    await who.say('bot@localhost', text);
    const reply = await who.next(messageFrom('bot@localhost', 'chat'), 20_000);
    return reply.getChildText('body') ?? '';
  };

  it('is seen connected by micro bot status', async () => {
    const r = await micro(['bot', 'status', '--output', 'json'], {
      env: { MICRO_REGISTRY_ADDRESS: bench.controlPlane.address },
    });
    assert.equal(r.code, 0, r.stderr);
    const [status] = JSON.parse(r.stdout) as BotStatus[];
    const xmppStatus = status?.inputs.find((i) => i.name === 'xmpp');
    assert.equal(xmppStatus?.connected, true, r.stdout);
    assert.match(
      xmppStatus?.detail ?? '',
      /^xmpp:\/\/127\.0\.0\.1:\d+ as bot@localhost\/micro-bot$/,
    );
  });

  it('answers alice: list services shows the greeter', async () => {
    assert.match(await ask(alice, 'list services'), /\bgreeter\b/);
  });

  it('answers alice: a call to the greeter answers its JSON', async () => {
    const reply = await ask(alice, 'call greeter Say.Hello {"name":"Ann"}');
    assert.match(reply, /"msg": ?"Hello Ann"/);
  });

  it('refuses bob a command that changes state, with a reply naming him', async () => {
    const reply = await ask(bob, 'call greeter Say.Hello {"name":"Bob"}');
    assert.match(reply, /^error 403 /);
    assert.match(reply, /bob@localhost may not run call/);
    assert.match(reply, /MICRO_BOT_ALLOW=xmpp:bob@localhost/);
  });

  it('refuses a message longer than the bot reads, rather than run it cut', async () => {
    assert.match(await ask(alice, `echo ${'x'.repeat(5000)}`), /^error 400 /);
  });

  it('comes back after Prosody restarts and answers again', async () => {
    const since = bot.lines.length;
    await prosody.restart(async () => alice.forget()); // the bot's presence from before
    await bot.waitFor(/^stderr: micro bot: xmpp: online at .* \(after \d+ tries\)$/, 60_000, since);
    await alice.next(botHere, 60_000);
    assert.match(await ask(alice, 'call greeter Say.Hello {"name":"Ann"}'), /Hello Ann/);
  });

  it('stops cleanly on SIGTERM', async () => {
    assert.equal(await bot.stop('SIGTERM'), 0);
  });
});
