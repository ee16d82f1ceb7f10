import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventEngines, eventsFromEnv } from '../../../src/platform/events/index.ts';

describe('events engines table', () => {
  it('picks the engine MICRO_EVENTS names, and lists the valid ones for a typo', async () => {
    const events = eventsFromEnv({ MICRO_EVENTS: 'memory' });
    try {
      assert.equal(events.name, 'memory');
      assert.equal((await events.publish('a', 1)).offset, 1);
    } finally {
      await events.close();
    }
    assert.throws(
      () => eventsFromEnv({ MICRO_EVENTS: 'kafka' }),
      (err: Error) =>
        err instanceof TypeError &&
        /MICRO_EVENTS/.test(err.message) &&
        Object.keys(eventEngines).every((name) => err.message.includes(name)),
    );
  });
});
