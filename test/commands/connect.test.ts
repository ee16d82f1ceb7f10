import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closedAddress, errorOf, micro } from '../helpers/cli.ts';

// How commands pick plugins (the runtime's own lookup) and report the plugins' errors.
describe('micro commands: plugins and their errors', () => {
  it('answers a broker that does not answer with a 503 saying how to start it, and a bad topic with a 400', async () => {
    const memory = ['--registry', 'memory'];
    const address = await closedAddress();
    const [down, badTopic, unknown] = await Promise.all([
      micro(['publish', 'news', '{}', ...memory, '--broker', 'redis', '--broker-address', address]),
      micro(['publish', 'has space', '{}', ...memory, '--broker', 'memory']),
      micro(['publish', 'news', '{}', ...memory, '--broker', 'toString']),
    ]);
    assert.equal(down.code, 1, down.stderr);
    const unreachable = errorOf(down);
    assert.equal(unreachable.code, 503, unreachable.detail);
    assert.match(unreachable.detail, /^MICRO_ERR_BROKER_NOT_CONNECTED: no Redis at .*redis-server/);
    assert.equal(errorOf(badTopic).code, 400, badTopic.stderr);
    assert.match(errorOf(badTopic).detail, /MICRO_ERR_BROKER_INVALID_TOPIC/);
    // The runtime's lookup: only the table's own names, listed.
    assert.equal(errorOf(unknown).code, 400);
    assert.match(
      errorOf(unknown).detail,
      /^unknown broker "toString" \(--broker or MICRO_BROKER\): use one of http, memory, nats, jetstream, redis$/,
    );
  });
});
