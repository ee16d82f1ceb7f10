// The XMPP input against a real Prosody on loopback: test users (their own @xmpp/client
// connections) write to the bot; the input delivers their commands and its replies reach them; it
// ignores what is not a command; it comes back after Prosody restarts; stop() ends it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xml } from '@xmpp/client';
import type { Input, Message } from '../../src/bot/bot.ts';
import { addressed, xmpp } from '../../src/bot/inputs/xmpp.ts';
import type { MicroError } from '../../src/runtime/errors.ts';
import { closedAddress } from '../helpers/cli.ts';
import { startedForTests } from '../helpers/lifecycle.ts';
import { startProsody } from '../helpers/prosody-server.ts';
import {
  availableFrom,
  connectXmppUser,
  messageFrom,
  type XmppUser,
} from '../helpers/xmpp-user.ts';

/** Things arriving over time, awaited in order with a deadline. */
function inbox<T>() {
  const items: T[] = [];
  const wake: (() => void)[] = [];
  let from = 0;
  return {
    items,
    push(item: T) {
      items.push(item);
      for (const w of wake.splice(0)) w();
    },
    /** The next item (after the last one returned) that matches; rejects after ms. */
    async next(match: (item: T) => boolean = () => true, ms = 15_000): Promise<T> {
      const deadline = Date.now() + ms;
      for (;;) {
        for (; from < items.length; from++) if (match(items[from] as T)) return items[from++] as T;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`nothing matching within ${ms} ms: ${JSON.stringify(items)}`);
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((r) => {
          wake.push(r);
          timer = setTimeout(r, left);
        });
        clearTimeout(timer);
      }
    },
  };
}

const prosody = startedForTests(() =>
  startProsody({ users: { bot: 'bot-pw', alice: 'alice-pw', bob: 'bob-pw' }, muc: true }),
);

const envOf = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  MICRO_BOT_XMPP_SERVICE: prosody().service,
  MICRO_BOT_XMPP_JID: 'bot@localhost',
  MICRO_BOT_XMPP_PASSWORD: 'bot-pw',
  ...extra,
});

/** Starts an input with its messages and log lines collected; stops it after the test. */
async function startInput(
  t: { after(fn: () => Promise<void>): void },
  extra: NodeJS.ProcessEnv = {},
) {
  const messages = inbox<Message>();
  const log = inbox<string>();
  const input: Input = xmpp(envOf(extra), {
    info: (m) => log.push(`info: ${m}`),
    warn: (m) => log.push(`warn: ${m}`),
  });
  t.after(() => input.stop());
  await input.start((m) => messages.push(m));
  return { input, messages, log };
}

async function user(
  t: { after(fn: () => Promise<void>): void },
  name: string,
  resource?: string,
): Promise<XmppUser> {
  const u = await connectXmppUser(prosody().service, name, `${name}-pw`, resource);
  t.after(() => u.stop());
  return u;
}

describe('the XMPP input (real Prosody)', () => {
  it('delivers a chat message as a command and its reply reaches the sender', async (t) => {
    const { input, messages } = await startInput(t);
    assert.deepEqual(input.medium, { style: 'plain', maxLength: 8000 });
    assert.equal(input.status?.().connected, true);
    assert.match(
      input.status?.().detail ?? '',
      /^xmpp:\/\/127\.0\.0\.1:\d+ as bot@localhost\/micro-bot$/,
    );
    const alice = await user(t, 'alice');
    await alice.say('bot@localhost', '  list services  ');
    const m = await messages.next();
    assert.deepEqual(m, {
      user: { input: 'xmpp', id: 'alice@localhost' },
      text: 'list services',
      room: 'alice@localhost/test',
    });
    await input.reply(m, 'greeter\n\u0007bell');
    const reply = await alice.next(messageFrom('bot@localhost'));
    assert.equal(reply.attrs.type, 'chat');
    assert.equal(reply.getChildText('body'), 'greeter\n\ufffdbell');
    // A `normal` message (no type) is a command too.
    await alice.say('bot@localhost', 'ping', { type: 'normal' });
    assert.equal((await messages.next()).text, 'ping');
  });

  it('ignores its own, delayed, offline, error and bodiless messages', async (t) => {
    const alice = await user(t, 'alice');
    // Sent while the bot is offline: Prosody stores it and hands it over, delayed, at login.
    await alice.say('bot@localhost', 'from offline storage');
    const { messages } = await startInput(t);
    const self = await user(t, 'bot', 'other');
    await self.say('bot@localhost/micro-bot', 'my own');
    const delay = xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2020-01-01T00:00:00Z' });
    await alice.say('bot@localhost', 'delayed', { children: [delay] });
    await alice.say('bot@localhost', 'an error', { type: 'error' });
    await alice.say('bot@localhost', 'a headline', { type: 'headline' });
    await alice.client.send(xml('message', { to: 'bot@localhost', type: 'chat' }));
    await alice.say('bot@localhost', 'after them');
    assert.equal((await messages.next()).text, 'after them');
    assert.deepEqual(
      messages.items.map((m) => m.text),
      ['after them'],
    );
  });

  it('answers in a room the messages that start with its nick, not the room history, and private messages through it', async (t) => {
    const room = 'ops@conference.localhost';
    const alice = await user(t, 'alice');
    await alice.client.send(
      xml(
        'presence',
        { to: `${room}/Alice` },
        xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
      ),
    );
    await alice.next((el) => el.is('presence') && el.attrs.from === `${room}/Alice`);
    await alice.say(room, 'bot: from history', { type: 'groupchat' });
    const { input, messages, log } = await startInput(t, { MICRO_BOT_XMPP_ROOMS: room });
    await log.next((l) => l.includes(`joined room ${room} as bot`));
    await alice.say(room, 'hello all', { type: 'groupchat' });
    await alice.say(room, 'bot: list services', { type: 'groupchat' });
    const m = await messages.next();
    assert.deepEqual(m, {
      user: { input: 'xmpp', id: 'alice@localhost', name: 'Alice' },
      text: 'list services',
      room,
    });
    assert.equal(messages.items.length, 1);
    await input.reply(m, 'greeter');
    const reply = await alice.next(messageFrom(`${room}/bot`, 'groupchat'));
    assert.equal(reply.getChildText('body'), 'Alice: greeter');
    // A private message through the room: alice (the room shows her JID), answered privately.
    await alice.say(`${room}/bot`, 'ping');
    const pm = await messages.next();
    assert.deepEqual(pm, {
      user: { input: 'xmpp', id: 'alice@localhost' },
      text: 'ping',
      room: `${room}/Alice`,
    });
    await input.reply(pm, 'pong');
    const private_ = await alice.next(messageFrom(`${room}/bot`, 'chat'));
    assert.equal(private_.getChildText('body'), 'pong');
  });

  it('accepts subscriptions, and stop() says it is gone', async (t) => {
    const { input } = await startInput(t);
    const alice = await user(t, 'alice');
    await alice.client.send(xml('presence', { to: 'bot@localhost', type: 'subscribe' }));
    await alice.next(availableFrom('bot@localhost/micro-bot'));
    await input.stop();
    assert.equal(input.status?.().detail, 'stopped');
    await alice.next(
      (el) => el.attrs.from === 'bot@localhost/micro-bot' && el.attrs.type === 'unavailable',
    );
    await assert.rejects(
      input.reply({ user: { input: 'xmpp', id: 'x' }, text: '', room: alice.jid }, 'late'),
      /not connected/,
    );
  });

  it('fails to start on a wrong password (401) or no server (503), naming the server', async () => {
    const quiet = { info() {}, warn() {} };
    const wrong = xmpp(envOf({ MICRO_BOT_XMPP_PASSWORD: 'wrong' }), quiet);
    await assert.rejects(
      wrong.start(() => undefined),
      (err: MicroError) => {
        assert.equal(err.code, 401);
        assert.match(
          err.detail,
          /^xmpp: cannot connect to xmpp:\/\/127\.0\.0\.1:\d+ as bot@localhost: not-authorized/,
        );
        return true;
      },
    );
    const closed = `xmpp://${await closedAddress()}`;
    const nowhere = xmpp(envOf({ MICRO_BOT_XMPP_SERVICE: closed }), quiet);
    await assert.rejects(
      nowhere.start(() => undefined),
      (err: MicroError) => {
        assert.equal(err.code, 503);
        assert.match(err.detail, /ECONNREFUSED/);
        return true;
      },
    );
    assert.equal(nowhere.status?.().connected, false);
  });

  it('reconnects after Prosody restarts, through refused logins, waiting longer each try, and messages flow again', async (t) => {
    const { input, messages, log } = await startInput(t);
    const alice = await user(t, 'alice');
    // Alice sees the bot come and go: she then writes once it is back (else Prosody would keep her message offline).
    const botHere = availableFrom('bot@localhost/micro-bot');
    await alice.client.send(xml('presence', { to: 'bot@localhost', type: 'subscribe' }));
    await alice.next(botHere);
    // A try's line (any try, when n is not given).
    const tried = (why: string, n?: number, wait?: number) => (l: string) =>
      new RegExp(
        `^warn: xmpp: not connected to .*${why}.*; try ${n ?? '\\d+'} in ${wait ?? '\\d+'} s$`,
      ).test(l);
    // Down for two tries; back with the bot's password changed for the third; then as it was.
    await prosody().restart(async () => {
      alice.forget(); // the bot's presence from before
      await log.next(tried('', 1, 1));
      await log.next(tried('ECONNREFUSED', 2, 2));
      assert.equal(input.status?.().connected, false);
      assert.match(input.status?.().detail ?? '', /^reconnecting \(try 2\) \(connect ECONNREFUSED/);
      await prosody().password('bot', 'changed');
    });
    // The next try (the third, or a later one if Prosody was slow to start) is refused.
    await log.next(tried('not-authorized'), 30_000);
    await prosody().password('bot', 'bot-pw');
    await log.next(
      (l) =>
        /^info: xmpp: online at xmpp:\/\/127\.0\.0\.1:\d+ as bot@localhost\/micro-bot \(after \d+ tries\)$/.test(
          l,
        ),
      30_000,
    );
    await alice.next(botHere, 30_000);
    await alice.say('bot@localhost', 'list services');
    const m = await messages.next();
    assert.equal(m.text, 'list services');
    await input.reply(m, 'still here');
    assert.equal(
      (await alice.next(messageFrom('bot@localhost'))).getChildText('body'),
      'still here',
    );
  });
});

describe('the XMPP input, reading room messages', () => {
  it('takes a message as a command only when it starts with the nick', () => {
    assert.equal(addressed('bot: list services', 'bot'), 'list services');
    assert.equal(addressed('  Bot,  ping', 'bot'), 'ping');
    assert.equal(addressed('@bot help', 'bot'), 'help');
    assert.equal(addressed('bot help', 'bot'), 'help');
    assert.equal(addressed('bottle: help', 'bot'), undefined);
    assert.equal(addressed('hello bot: help', 'bot'), undefined);
  });
});
