// A service run under supervision logs inside a handler; the control plane's logs service has the
// line, parsed (level, message, trace and span ids, node, fields), and the service's plain lines
// as text (stdout info, stderr error), while its log file keeps every line as before.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LogQuery, LogRecord } from '../../src/platform/logs/logs.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Client } from '../../src/runtime/client/client.ts';
import { createClient } from '../../src/runtime/client/rpc-client.ts';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane.ts';

const fixture = fileURLToPath(new URL('fixtures/chatty.ts', import.meta.url));
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('the supervisor collects its services lines into the logs service', () => {
  let plane: TestControlPlane;
  let client: Client;
  before(async () => {
    plane = await startTestControlPlane('micro-collect-', { supervise: true });
    client = createClient({ registry: createMicroRegistry({ address: plane.address }) });
  });
  after(async () => {
    await client.call('runtime', 'Runtime.Delete', { name: 'chatty' }).catch(() => undefined);
    await client.close();
    await plane.stop();
  });

  /** The lines a read finds, once it finds at least n (bounded wait: lines go in batches). */
  const found = async (query: LogQuery, n = 1): Promise<LogRecord[]> => {
    for (let i = 0; i < 100; i++) {
      const { records } = await client.call<{ records: LogRecord[] }>('logs', 'Log.Read', query);
      if (records.length >= n) return records;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`no ${n} lines for ${JSON.stringify(query)} within 10 s`);
  };

  it('finds a line logged in a handler by service and trace, parsed', async () => {
    const created = await client.call<{ ready?: string }>(
      'runtime',
      'Runtime.Create',
      { name: 'chatty', path: fixture, wait: 30_000 },
      { timeout: 40_000 },
    );
    assert.equal(created.ready, 'registered');
    await client.call('chatty', 'Chat.Say', { trace: TRACE, text: 'hi' });

    const [line] = await found({ service: 'chatty', trace: TRACE });
    assert.equal(line!.msg, 'saying hi');
    assert.equal(line!.level, 'info');
    assert.equal(line!.traceId, TRACE);
    assert.equal(line!.spanId, '00f067aa0ba902b7');
    assert.match(line!.node ?? '', /^chatty-/);
    assert.deepEqual(line!.fields, { said: 'hi' });

    const plain = await found({ service: 'chatty', grep: 'a plain' }, 2);
    assert.deepEqual(
      plain.map((r) => [r.msg, r.level]),
      [
        ['a plain line for hi', 'info'],
        ['a plain error for hi', 'error'],
      ],
    );
    const [listening] = await found({ service: 'chatty', grep: 'listening on' });
    assert.match(listening!.msg, /^chatty-\S+ listening on /);
    const { sources } = await client.call<{ sources: { service: string }[] }>(
      'logs',
      'Log.Sources',
      {},
    );
    assert.ok(sources.some((s) => s.service === 'chatty'));

    // The log file (micro logs) keeps every line as printed.
    const file = await readFile(join(plane.dataDir, 'logs', 'chatty.log'), 'utf8');
    assert.match(file, /"msg":"saying hi"/);
    assert.match(file, /a plain error for hi/);
  });
});
