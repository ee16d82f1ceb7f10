// What the Slack input reads of an event, alone: the text as typed, and the bounded memory of
// events handled (the input's own tests cover which events become messages).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageOf, plainText, Seen } from '../../src/bot/inputs/slack-events.ts';

describe('the text of a Slack message', () => {
  it("takes off the bot's leading mention, with its label or a colon, and nobody else's", () => {
    assert.equal(plainText('<@U0BOT> help', 'U0BOT'), 'help');
    assert.equal(plainText('  <@U0BOT|micro>: ping', 'U0BOT'), 'ping');
    assert.equal(plainText('<@U0ANN> hi', 'U0BOT'), '<@U0ANN> hi');
    assert.equal(plainText('echo <@U0BOT>', 'U0BOT'), 'echo <@U0BOT>');
  });

  it('writes links as typed, decodes the three entities Slack encodes, and straightens quotes', () => {
    assert.equal(
      plainText('<mailto:a@b.io|a@b.io> <https://x.io/a?b=1&amp;c=2>', 'U0BOT'),
      'a@b.io https://x.io/a?b=1&c=2',
    );
    assert.equal(plainText('&lt;&amp;lt;&gt;', 'U0BOT'), '<&lt;>');
    assert.equal(plainText('{\u201ca\u201d: \u2018b\u2019}', 'U0BOT'), '{"a": \'b\'}');
  });

  it('reads no more than Slack sends in one message, and no ids it could not have sent', () => {
    const event = { type: 'app_mention', user: 'U0ANN', channel: 'C0OPS', ts: '1.2' };
    assert.equal(messageOf({ ...event, text: 'x'.repeat(50_000) }, 'U0BOT')?.text.length, 40_000);
    assert.equal(messageOf({ ...event, text: 'hi', user: 'U0ANN\n' }, 'U0BOT'), undefined);
    assert.equal(messageOf({ ...event, text: 'hi', channel: 42 }, 'U0BOT'), undefined);
    assert.equal(
      messageOf({ ...event, text: 'hi', thread_ts: '../x' }, 'U0BOT')?.thread,
      undefined,
    );
  });
});

describe('the events seen', () => {
  it('knows an event again by its id or its channel and ts, and forgets the oldest past its bound', () => {
    const seen = new Seen(4);
    assert.equal(seen.again('Ev1', { channel: 'C1', ts: '1.1' }), false);
    assert.equal(seen.again('Ev1', { channel: 'C1', ts: '9.9' }), true);
    assert.equal(seen.again('Ev9', { channel: 'C1', ts: '1.1' }), true);
    assert.equal(seen.again('Ev2', { channel: 'C1', ts: '2.2' }), false);
    assert.equal(seen.again('Ev3', { channel: 'C1', ts: '3.3' }), false);
    assert.equal(
      seen.again('Ev1', { channel: 'C1', ts: '1.1' }),
      false,
      'Ev1 was the oldest: forgotten',
    );
  });
});
