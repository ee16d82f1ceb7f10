// `micro bot --inputs slack` end to end: the real binary from source, on the Slack stand-in
// (test/helpers/slack-server.ts: Slack itself cannot be reached here) and a real control plane
// with a greeter. People mention the bot in a channel and read its replies, as in Slack.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bin, startBench, type Bench } from '../helpers/cli.ts';
import { startNode, type Child } from '../helpers/proc.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-server.ts';

describe('micro bot --inputs slack', () => {
  let bench: Bench;
  let s: SlackStandIn;
  let bot: Child;

  before(async () => {
    bench = await startBench();
    s = await startSlackStandIn();
    bot = startNode(bin, ['bot', '--inputs', 'slack'], {
      MICRO_REGISTRY: 'micro',
      MICRO_REGISTRY_ADDRESS: bench.controlPlane.address,
      MICRO_BOT_SLACK_APP_TOKEN: s.appToken,
      MICRO_BOT_SLACK_BOT_TOKEN: s.botToken,
      MICRO_BOT_SLACK_API_URL: s.apiUrl,
      MICRO_BOT_ALLOW: 'slack:U0ANN',
    });
    await Promise.race([
      s.connected(1, 30_000),
      bot.exited.then((code) => {
        throw new Error(`micro bot exited (${code}):\n${bot.lines.join('\n')}`);
      }),
    ]);
  });
  after(async () => {
    await bot?.stop();
    await s?.stop();
    await bench?.stop();
  });

  /** Mentions the bot in #ops as `user` and resolves with its reply there. */
  const ask = async (user: string, text: string, thread?: string): Promise<string> => {
    const since = s.posted.length;
    await s.mention(user, 'C0OPS', text, thread ? { thread_ts: thread } : {}).acked;
    const reply = await s.nextPost((p) => p.channel === 'C0OPS', since, 20_000);
    assert.equal(reply.thread_ts, thread);
    return reply.text;
  };

  /** The one code block of a reply, or fails. */
  const block = (text: string): string =>
    /^```\n([\s\S]*)\n```$/.exec(text)?.[1] ?? assert.fail(text);

  it('lists the services in a code block', async () => {
    const table = block(await ask('U0ANN', 'list services'));
    assert.match(table, /^NAME +VERSIONS +NODES$/m);
    assert.match(table, /^greeter +1\.0\.0 +1$/m);
  });

  it('calls the greeter for an allowed user, and answers in the thread it was asked in', async () => {
    const text = await ask('U0ANN', 'call greeter Say.Hello {"name":"Ann"}', '1700000000.000100');
    assert.deepEqual(JSON.parse(block(text)), { msg: 'Hello Ann' });
  });

  it('refuses a call from a user not allowed, saying so in a reply', async () => {
    const text = await ask('U0EVE', 'call greeter Say.Hello {"name":"Eve"}');
    assert.match(text, /^error 403 \(micro\.bot\): U0EVE may not run call\b/);
    assert.doesNotMatch(text, /Hello Eve/);
  });

  it('answers a direct message in the DM', async () => {
    const since = s.posted.length;
    await s.dm('U0EVE', 'D0EVE', 'ping').acked;
    const reply = await s.nextPost((p) => p.channel === 'D0EVE', since, 20_000);
    assert.match(reply.text, /pong/i);
  });

  it('reconnects when Slack drops the connection, and goes on answering', async () => {
    s.drop();
    await s.connected(2, 20_000);
    assert.deepEqual(
      JSON.parse(block(await ask('U0ANN', 'call greeter Say.Hello {"name":"Bo"}'))),
      {
        msg: 'Hello Bo',
      },
    );
    await bot.waitFor(/^stderr: micro bot: slack: reconnected$/);
  });

  it('stops on SIGTERM, closing its socket', async () => {
    assert.equal(await bot.stop(), 0);
    const deadline = Date.now() + 5_000;
    while (s.isOpen() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(s.isOpen(), false);
    // What it said went through the bot's logger: none of the Slack clients' console logging.
    assert.ok(bot.lines.includes('stderr: micro bot: slack: connected as <@U0BOT> (Stand-in)'));
    assert.deepEqual(
      bot.lines.filter((l) => /\[(DEBUG|INFO|WARN|ERROR)\]/.test(l)),
      [],
    );
  });
});
