// `micro mcp`'s command line, as a user gets it wrong: each mistake is a 400 in the error JSON with
// exit code 1, said before anything is opened (no registry runs here). The commands against real
// services and agents are test/e2e/mcp.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closedAddress, errorOf, micro } from '../helpers/cli.ts';

describe('micro mcp, given bad input', () => {
  it('says what is wrong with the arguments, the flags and the MICRO_MCP_* variables', async () => {
    const registry = await closedAddress();
    const env = { MICRO_REGISTRY_ADDRESS: registry };
    const [bare, array, names, rate, variable] = await Promise.all([
      micro(['mcp'], { env }),
      micro(['mcp', 'call', 'greeter.Say.Hello', '[1,2]'], { env }),
      micro(['mcp', 'list', '--names', 'short'], { env }),
      micro(['mcp', 'serve', '--rate', '-1'], { env }),
      micro(['mcp', 'list'], { env: { ...env, MICRO_MCP_NAMES: 'short' } }),
    ]);
    const habit = await micro(['mcp', 'call', 'greeter', 'Say.Hello'], { env, input: '{}' });
    assert.equal(habit.code, 1);
    assert.match(errorOf(habit).detail, /micro mcp call greeter\.Say\.Hello '\{\.\.\.\}'/);
    const address = await micro(['mcp', 'serve', '--http', 'nonsense'], { env });
    assert.equal(address.code, 1);
    assert.equal(errorOf(address).code, 400);
    assert.match(errorOf(address).detail, /^--http: address must be host:port/);
    assert.equal(bare.code, 1);
    assert.match(errorOf(bare).detail, /mcp what\? micro mcp serve\|list\|call\|docs\|audit/);
    assert.equal(array.code, 1);
    assert.deepEqual(
      [errorOf(array).code, errorOf(array).detail],
      [400, 'a tool\'s arguments are a JSON object, e.g. \'{"name":"Ann"}\''],
    );
    assert.equal(names.code, 1);
    assert.match(errorOf(names).detail, /Invalid values:.*names/s);
    assert.equal(rate.code, 1);
    assert.match(errorOf(rate).detail, /^--rate must be a whole number/);
    assert.equal(variable.code, 1);
    assert.equal(errorOf(variable).code, 400);
    assert.match(errorOf(variable).detail, /MICRO_MCP_NAMES/);
  });

  it('says the registry does not answer, not that there are no tools', async () => {
    const env = { MICRO_REGISTRY_ADDRESS: await closedAddress() };
    for (const args of [
      ['mcp', 'list'],
      ['mcp', 'docs'],
    ]) {
      const r = await micro(args, { env });
      assert.equal(r.code, 1, r.stdout);
      assert.equal(errorOf(r).code, 503);
      assert.match(
        errorOf(r).detail,
        /no answer from the registry at .*start one with "micro run"/,
      );
    }
  });

  it('lists mcp and its subcommands in the help, each on one line', async () => {
    const [top, group] = await Promise.all([micro(['--help']), micro(['mcp', '--help'])]);
    assert.match(top.stdout, /^ {2}micro mcp +Services as tools for AI agents \(MCP\)$/m);
    for (const sub of ['serve', 'list', 'call <tool> \\[json\\]', 'docs', 'audit'])
      assert.match(group.stdout, new RegExp(`^ {2}micro mcp ${sub} +\\S.*$`, 'm'), sub);
  });
});
