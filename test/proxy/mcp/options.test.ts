import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mcpOptionsFromEnv } from '../../../src/proxy/mcp/options.ts';

describe('MCP options from the environment', () => {
  it('reads every variable', () => {
    assert.deepEqual(
      mcpOptionsFromEnv({
        MICRO_MCP_ALLOW: 'greeter.*, billing.Pay.*',
        MICRO_MCP_DENY: '*.Delete*',
        MICRO_MCP_NAMES: 'safe',
        MICRO_MCP_RATE: '5',
        MICRO_MCP_TIMEOUT: '2s',
      }),
      {
        allow: ['greeter.*', 'billing.Pay.*'],
        deny: ['*.Delete*'],
        names: 'safe',
        rate: 5,
        timeout: 2000,
      },
    );
  });

  it('leaves out what is unset or empty, and takes 0 as no rate limit', () => {
    assert.deepEqual(mcpOptionsFromEnv({}), {});
    assert.deepEqual(mcpOptionsFromEnv({ MICRO_MCP_ALLOW: ' ', MICRO_MCP_NAMES: '' }), {});
    assert.deepEqual(mcpOptionsFromEnv({ MICRO_MCP_RATE: '0' }), { rate: 0 });
    assert.deepEqual(mcpOptionsFromEnv({ MICRO_MCP_TIMEOUT: '1500' }), { timeout: 1500 });
    assert.deepEqual(mcpOptionsFromEnv({ MICRO_MCP_TIMEOUT: '1m' }), { timeout: 60_000 });
  });

  it('refuses bad values with a TypeError naming the variable', () => {
    const bad: [string, string][] = [
      ['MICRO_MCP_NAMES', 'camel'],
      ['MICRO_MCP_RATE', '-1'],
      ['MICRO_MCP_RATE', 'fast'],
      ['MICRO_MCP_RATE', '1e9'],
      ['MICRO_MCP_TIMEOUT', '0'],
      ['MICRO_MCP_TIMEOUT', 'soon'],
      ['MICRO_MCP_TIMEOUT', '99999999999'],
      ['MICRO_MCP_ALLOW', 'a b'],
      ['MICRO_MCP_DENY', 'x'.repeat(300)],
      ['MICRO_MCP_DENY', Array.from({ length: 101 }, (_, i) => `s${i}.*`).join(',')],
    ];
    for (const [name, value] of bad)
      assert.throws(
        () => mcpOptionsFromEnv({ [name]: value }),
        (err: Error) => err instanceof TypeError && err.message.includes(name),
        `${name}=${value.slice(0, 20)}`,
      );
  });
});
