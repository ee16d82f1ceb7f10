// formatAnswer: an answer as one reply on Slack (fences, mrkdwn escapes) or plain text (XMPP, the
// terminal), with remote control characters made visible and long answers cut with a note.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Answer, Medium } from '../../src/bot/bot.ts';
import { formatAnswer } from '../../src/bot/format.ts';

const slack: Medium = { style: 'slack', maxLength: 3_900 };
const plain: Medium = { style: 'plain', maxLength: 8_000 };

describe('formatAnswer', () => {
  it('writes JSON, tables and code in fences on Slack, as they are in plain text', () => {
    const answer: Answer = [
      { kind: 'text', text: 'greeter:' },
      { kind: 'json', value: { msg: 'Hello Ann' } },
      {
        kind: 'table',
        header: ['NAME', 'NODES'],
        rows: [
          ['greeter', '2'],
          ['auth-service', '1'],
        ],
      },
    ];
    assert.equal(
      formatAnswer(answer, slack),
      'greeter:\n```\n{\n  "msg": "Hello Ann"\n}\n```\n```\nNAME          NODES\ngreeter       2\nauth-service  1\n```',
    );
    assert.equal(
      formatAnswer(answer, plain),
      'greeter:\n{\n  "msg": "Hello Ann"\n}\nNAME          NODES\ngreeter       2\nauth-service  1',
    );
  });

  it("escapes Slack's & < > so remote text cannot mention or link, and breaks fences inside blocks", () => {
    const out = formatAnswer(
      [
        { kind: 'text', text: '<!channel> a & b <http://x|y>' },
        { kind: 'code', text: 'log ``` line' },
      ],
      slack,
    );
    assert.ok(out.startsWith('&lt;!channel&gt; a &amp; b &lt;http://x|y&gt;\n```\n'), out);
    assert.equal(out.split('```').length - 1, 2, 'only the block its own fences');
    assert.equal(formatAnswer([{ kind: 'text', text: 'a & <b>' }], plain), 'a & <b>');
  });

  it('shows control characters from remote data as escapes', () => {
    const out = formatAnswer(
      [
        { kind: 'text', text: 'red \u001b[31m' },
        { kind: 'table', header: ['NAME'], rows: [['evil\nname\u202e']] },
        { kind: 'json', value: { bidi: '\u202e' } },
      ],
      plain,
    );
    assert.ok(!out.includes('\u001b') && !out.includes('\u202e'), out);
    assert.match(out, /red \\u001b\[31m/);
    assert.match(out, /evil\\u000aname\\u202e/);
  });

  it('says an error in one line', () => {
    const error = {
      id: 'micro.registry',
      code: 404,
      detail: 'service greeter\nnot found',
      status: 'Not Found',
    };
    assert.equal(
      formatAnswer([{ kind: 'error', error }], plain),
      'error 404 (micro.registry): service greeter not found',
    );
  });

  it('cuts a long answer to the medium with a note, closing an open fence', () => {
    const rows = Array.from({ length: 2_000 }, (_, i) => [`service-${i}`, String(i)]);
    const out = formatAnswer([{ kind: 'table', header: ['NAME', 'NODES'], rows }], slack);
    assert.ok(out.length <= slack.maxLength, `${out.length}`);
    assert.match(
      out,
      /\n```\n… \(cut: [\d,]+ more characters; use the CLI for the whole answer\)$/,
    );
    assert.equal(out.split('```').length - 1, 2);
    const more = Number(/cut: ([\d,]+)/.exec(out)![1]!.replaceAll(',', ''));
    const whole = formatAnswer([{ kind: 'table', header: ['NAME', 'NODES'], rows }], {
      style: 'slack',
      maxLength: 1e9,
    });
    const kept = out.slice(0, out.lastIndexOf('\n```\n…'));
    assert.ok(whole.startsWith(kept));
    assert.equal(kept.length + more, whole.length);
    const short = formatAnswer([{ kind: 'text', text: 'x'.repeat(500) }], {
      style: 'plain',
      maxLength: 100,
    });
    assert.ok(short.length <= 100);
    assert.match(short, /^x+\n… \(cut: \d+ more characters/);
  });
});
