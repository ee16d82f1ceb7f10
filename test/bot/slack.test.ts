// The Slack input alone, against the Slack stand-in (test/helpers/slack-server.ts) with the
// official clients: what it delivers, what it ignores, how it replies, that it reconnects, that
// stop() ends it, and that bad settings are refused naming the variable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Input, Message } from '../../src/bot/bot.ts';
import {
  createSlackInput,
  slack,
  slackOptions,
  type SlackOptions,
} from '../../src/bot/inputs/slack.ts';
import { closedAddress } from '../helpers/cli.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-server.ts';

/** A logger that keeps its lines, and a handler that keeps the messages it is given. */
function recorder() {
  const lines: string[] = [];
  const messages: Message[] = [];
  const waiters = new Set<() => void>();
  const wake = () => [...waiters].forEach((w) => w());
  return {
    lines,
    messages,
    logger: {
      info: (m: string) => void (lines.push(`info ${m}`), wake()),
      warn: (m: string) => void (lines.push(`warn ${m}`), wake()),
    },
    handle: (m: Message) => void (messages.push(m), wake()),
    /** Resolves once `ok()` holds, checked on each message and log line; rejects after 10 s. */
    until(ok: () => boolean, what: string): Promise<void> {
      if (ok()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!ok()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${what} within 10 s; log: ${lines.join(' | ')}`));
        }, 10_000);
        waiters.add(check);
      });
    },
  };
}

const optionsOf = (s: SlackStandIn, over: Partial<SlackOptions> = {}): SlackOptions => ({
  appToken: s.appToken,
  botToken: s.botToken,
  apiUrl: s.apiUrl,
  ...over,
});

describe('the Slack input', () => {
  let s: SlackStandIn;
  let input: Input;
  const r = recorder();
  /** The next message the input delivers. */
  const next = async (): Promise<Message> => {
    const at = r.messages.length;
    await r.until(() => r.messages.length > at, 'message');
    return r.messages[at]!;
  };

  before(async () => {
    s = await startSlackStandIn();
    input = slack(
      {
        MICRO_BOT_SLACK_APP_TOKEN: s.appToken,
        MICRO_BOT_SLACK_BOT_TOKEN: s.botToken,
        MICRO_BOT_SLACK_API_URL: s.apiUrl,
      },
      r.logger,
    );
    await input.start(r.handle);
  });
  after(async () => {
    await input?.stop();
    await s?.stop();
  });

  it('connects with its app token, knows itself, and writes for Slack', async () => {
    assert.equal(s.connections(), 1);
    assert.ok(
      r.lines.includes(`info slack: connected as <@${s.botUserId}> (Stand-in)`),
      r.lines.join('\n'),
    );
    assert.deepEqual(input.medium, { style: 'slack', maxLength: 3_900 });
    assert.equal(input.name, 'slack');
    assert.deepEqual(
      { ...input.status?.(), since: 0 },
      { connected: true, since: 0, detail: `Stand-in as @micro (${s.apiUrl})` },
    );
  });

  it('delivers a mention without the mention, from its user, in its channel; the envelope acked', async () => {
    const got = next();
    const sent = s.mention('U0ANN', 'C0OPS', 'list services');
    await sent.acked;
    assert.deepEqual(await got, {
      user: { input: 'slack', id: 'U0ANN' },
      text: 'list services',
      room: 'C0OPS',
    });
  });

  it('delivers a direct message, and a mention written in a thread with its thread', async () => {
    let got = next();
    s.dm('U0ANN', 'D0ANN', 'help');
    assert.deepEqual(await got, {
      user: { input: 'slack', id: 'U0ANN' },
      text: 'help',
      room: 'D0ANN',
    });
    got = next();
    s.mention('U0BEN', 'C0OPS', '  ping ', { thread_ts: '1700000000.000100' });
    const m = await got;
    assert.equal(m.text, 'ping');
    assert.equal(m.thread, '1700000000.000100');
  });

  it('gives the text as typed: links unwrapped, &amp; &lt; &gt; decoded, curly quotes straight', async () => {
    const got = next();
    s.mention(
      'U0ANN',
      'C0OPS',
      'call greeter Say.Hello {\u201cname\u201d: \u201cA&amp;B &lt;x&gt;\u201d, "url": "<https://a.io|a.io>"}',
    );
    assert.equal((await got).text, 'call greeter Say.Hello {"name": "A&B <x>", "url": "a.io"}');
  });

  it('ignores bots (itself too), edits, channel messages and redeliveries, acking each', async () => {
    const first = s.dm('U0ANN', 'D0ANN', 'time');
    await first.acked;
    const before = r.messages.length;
    const ignored = [
      s.dm(s.botUserId, 'D0ANN', 'its own post'),
      s.deliver({
        type: 'message',
        subtype: 'bot_message',
        bot_id: 'B0OTHER',
        text: 'hi',
        channel: 'D0ANN',
        channel_type: 'im',
        ts: '1.1',
      }),
      s.deliver({
        type: 'message',
        user: 'U0CAT',
        bot_id: 'B0CAT',
        text: 'hi',
        channel: 'D0CAT',
        channel_type: 'im',
        ts: '1.2',
      }),
      s.deliver({
        type: 'message',
        subtype: 'message_changed',
        channel: 'D0ANN',
        channel_type: 'im',
        ts: '1.3',
        message: { text: 'edited' },
      }),
      s.deliver({
        type: 'message',
        user: 'U0ANN',
        text: 'chatter',
        channel: 'C0OPS',
        channel_type: 'channel',
        ts: '1.4',
      }),
      s.deliver({ type: 'reaction_added', user: 'U0ANN', reaction: 'tada' }),
      // Slack redelivering the first: the same event id in a new envelope, then the same envelope.
      s.deliver(first.event, { eventId: first.eventId, retry: 1 }),
      s.deliver(first.event, { eventId: first.eventId, envelopeId: first.envelopeId, retry: 2 }),
    ];
    await Promise.all(ignored.map((d) => d.acked));
    // Events arrive in order on the one socket: once this one is delivered, the others were read.
    const got = next();
    s.dm('U0ANN', 'D0ANN', 'after');
    assert.equal((await got).text, 'after');
    assert.deepEqual(
      r.messages.slice(before).map((m) => m.text),
      ['after'],
    );
  });

  it('replies in the channel, and in the thread when the message was in one', async () => {
    const at = s.posted.length;
    const top: Message = { user: { input: 'slack', id: 'U0ANN' }, text: 'ping', room: 'C0OPS' };
    await input.reply(top, 'pong');
    await input.reply({ ...top, thread: '1700000000.000100' }, '```\n{"msg": "Hello Ann"}\n```');
    assert.deepEqual(
      s.posted.slice(at).map(({ channel, text, thread_ts }) => ({ channel, text, thread_ts })),
      [
        { channel: 'C0OPS', text: 'pong', thread_ts: undefined },
        {
          channel: 'C0OPS',
          text: '```\n{"msg": "Hello Ann"}\n```',
          thread_ts: '1700000000.000100',
        },
      ],
    );
  });

  it('fails a reply that Slack refuses (the core logs it)', async () => {
    const to: Message = { user: { input: 'slack', id: 'U0ANN' }, text: 'ping', room: '' };
    await assert.rejects(input.reply(to, 'pong'), /channel_not_found/);
  });
});

describe('the Slack input reconnecting', () => {
  let s: SlackStandIn;
  before(async () => {
    s = await startSlackStandIn();
  });
  after(async () => {
    await s?.stop();
  });

  it('reconnects after the socket drops, after a refresh, and after Slack refuses for a while', async () => {
    const r = recorder();
    const input = createSlackInput(optionsOf(s, { minDelay: 20, maxDelay: 100 }), r.logger);
    await input.start(r.handle);
    try {
      const roundTrip = async (text: string) => {
        const at = r.messages.length;
        await s.mention('U0ANN', 'C0OPS', text).acked;
        await r.until(
          () => r.messages.some((m, i) => i >= at && m.text === text),
          `"${text}" delivered`,
        );
      };
      s.drop();
      await s.connected(2);
      await roundTrip('after a drop');
      assert.ok(r.lines.includes('warn slack: connection lost; reconnecting'), r.lines.join('\n'));
      await r.until(() => r.lines.includes('info slack: reconnected'), 'reconnected line');

      s.refresh();
      await s.connected(3);
      await roundTrip('after a refresh');

      s.failOpen('internal_error');
      const opens = s.opens();
      s.drop();
      await r.until(
        () => r.lines.filter((l) => l.includes('reconnecting failed (internal_error)')).length >= 2,
        'two failed attempts',
      );
      assert.ok(s.opens() >= opens + 2);
      assert.equal(input.status?.().connected, false);
      assert.equal(input.status?.().detail, 'reconnecting: internal_error');
      s.failOpen(undefined);
      await s.connected(4);
      await roundTrip('after Slack came back');
      await r.until(
        () => r.lines.some((l) => /^info slack: reconnected after \d+ attempts$/.test(l)),
        'reconnected-after line',
      );
      assert.equal(input.status?.().connected, true);
      // Said once, by the input: not again by the clients' own logging.
      assert.deepEqual(
        r.lines.filter((l) => /WebSocket|WSS URL/.test(l)),
        [],
      );
    } finally {
      await input.stop();
    }
  });

  it('stops for good: the socket closes and no reconnect follows, even with one pending', async () => {
    const r = recorder();
    const input = createSlackInput(optionsOf(s, { minDelay: 10, maxDelay: 10 }), r.logger);
    await input.start(r.handle);
    const connections = s.connections();
    s.failOpen('internal_error');
    s.drop();
    await r.until(() => r.lines.some((l) => l.includes('reconnecting failed')), 'a failed attempt');
    s.failOpen(undefined);
    await input.stop();
    const opens = s.opens();
    // An absence cannot be awaited: 30 reconnect delays pass with no call and no socket.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(s.opens(), opens, 'apps.connections.open called after stop()');
    assert.equal(s.connections(), connections);
    assert.equal(s.isOpen(), false);
  });

  it('stop() closes an open socket, and a second stop() is harmless', async () => {
    const r = recorder();
    const input = createSlackInput(optionsOf(s, { minDelay: 10, maxDelay: 10 }), r.logger);
    await input.start(r.handle);
    assert.equal(s.isOpen(), true);
    await input.stop();
    await input.stop();
    assert.equal(input.status?.().detail, 'stopped');
    const deadline = Date.now() + 5_000;
    while (s.isOpen() && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(s.isOpen(), false);
    assert.ok(!r.lines.some((l) => l.includes('connection lost')), r.lines.join('\n'));
  });

  it('refuses to start with a token Slack rejects, naming the variable', async () => {
    const r = recorder();
    const badApp = createSlackInput(optionsOf(s, { appToken: 'xapp-1-A0-1-wrong' }), r.logger);
    await assert.rejects(badApp.start(r.handle), /invalid_auth\): check MICRO_BOT_SLACK_APP_TOKEN/);
    await badApp.stop();
    const badBot = createSlackInput(optionsOf(s, { botToken: 'xoxb-wrong-token' }), r.logger);
    await assert.rejects(badBot.start(r.handle), /invalid_auth\): check MICRO_BOT_SLACK_BOT_TOKEN/);
    await badBot.stop();
    const away = createSlackInput(
      optionsOf(s, { apiUrl: `http://${await closedAddress()}/api/` }),
      r.logger,
    );
    await assert.rejects(
      away.start(r.handle),
      /\): check MICRO_BOT_SLACK_API_URL and the network$/,
    );
    await away.stop();
  });
});

describe('the Slack settings', () => {
  const good = {
    MICRO_BOT_SLACK_APP_TOKEN: 'xapp-1-A0-1-secret',
    MICRO_BOT_SLACK_BOT_TOKEN: 'xoxb-1-secret',
  };
  const refused = (env: NodeJS.ProcessEnv, variable: string, why: RegExp) =>
    assert.throws(
      () => slack(env, { info() {}, warn() {} }),
      (err: unknown) =>
        err instanceof TypeError &&
        err.message.startsWith(variable) &&
        why.test(err.message) &&
        !err.message.includes('secret'),
    );

  it('reads the two tokens, and the API URL defaulting to Slack', () => {
    assert.deepEqual(slackOptions(good), {
      appToken: 'xapp-1-A0-1-secret',
      botToken: 'xoxb-1-secret',
      apiUrl: 'https://slack.com/api/',
    });
    assert.equal(
      slackOptions({ ...good, MICRO_BOT_SLACK_API_URL: 'http://127.0.0.1:9/api' }).apiUrl,
      'http://127.0.0.1:9/api/',
    );
  });

  it('refuses a missing or wrong token, and a URL that is not http(s), naming the variable', () => {
    const app = 'MICRO_BOT_SLACK_APP_TOKEN';
    const bot = 'MICRO_BOT_SLACK_BOT_TOKEN';
    const url = 'MICRO_BOT_SLACK_API_URL';
    refused({ [bot]: good[bot] }, app, /it is not set$/);
    refused({ ...good, [app]: 'xoxb-1-secret' }, app, /it does not start with xapp-$/);
    refused({ ...good, [bot]: undefined }, bot, /it is not set$/);
    refused({ ...good, [bot]: 'xoxp-1-secret' }, bot, /it does not start with xoxb-$/);
    refused({ ...good, [bot]: 'xoxb-1 secret' }, bot, /it has spaces/);
    refused({ ...good, [url]: 'ftp://slack.com/api/' }, url, /http\(s\) URL/);
    refused({ ...good, [url]: 'slack.com/api' }, url, /http\(s\) URL/);
  });
});
