// `micro bot`'s flags as a user meets them: the CLI's shared variables (MICRO_TIMEOUT, meant for
// `micro call`) do not reach the bot's own settings through its short flag names, `micro bot status
// --timeout` is status's own number, and the subcommands' help lists only their own flags.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorOf, micro } from '../helpers/cli.ts';

const env = { MICRO_REGISTRY: 'memory', MICRO_AUDIT: 'off' };

describe('micro bot flags', () => {
  it("ignores the CLI's MICRO_TIMEOUT, and takes --timeout and MICRO_BOT_TIMEOUT", async () => {
    const r = await micro(['bot'], { input: 'ping\n', env: { ...env, MICRO_TIMEOUT: '2s' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'pong\n\n');
    const flag = await micro(['bot', '--timeout', 'soon'], { input: 'ping\n', env });
    assert.equal(flag.code, 1);
    assert.match(errorOf(flag).detail, /^MICRO_BOT_TIMEOUT must be whole ms .*"soon"/);
    const variable = await micro(['bot'], { input: '', env: { ...env, MICRO_BOT_TIMEOUT: 'x' } });
    assert.match(errorOf(variable).detail, /^MICRO_BOT_TIMEOUT must be whole ms .*"x"/);
  });

  it('micro bot status takes its own --timeout, and its help lists no bot-serving flags', async () => {
    const r = await micro(['bot', 'status', '--timeout', '100'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^no bot is running/);
    const help = await micro(['bot', 'status', '--help'], { env });
    assert.match(help.stdout, /--timeout +ms each bot may take to answer/);
    assert.doesNotMatch(help.stdout, /--bot-inputs|--slack-app-token|--allow/);
    const audit = await micro(['bot', 'audit', '--help'], { env });
    assert.doesNotMatch(audit.stdout, /--bot-inputs|--xmpp-password/);
    const serve = await micro(['bot', '--help'], { env });
    assert.match(serve.stdout, /--bot-inputs, --inputs/);
  });
});
