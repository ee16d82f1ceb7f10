// The call screen shows the last call's trace (ink-testing-library): a real greeter on 127.0.0.1
// whose calls leave spans in a Trace, as the exporter would; the screen finds the trace of the
// call just made (Trace.List by service, endpoint and time) and draws it as a compact waterfall.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createElement as h } from 'react';
import { createMemoryTrace } from '../../src/platform/trace/memory.ts';
import type { SpanRecord, Trace } from '../../src/platform/trace/trace.ts';
import {
  createClient,
  createMemoryRegistry,
  endpoint,
  type Client,
  type Registry,
  type Service,
} from '../../src/runtime/index.ts';
import { CallView } from '../../src/ui/tui/CallView.ts';
import { traceIdOf } from '../../src/ui/tui/use-last-trace.ts';
import { closeAll, nameSchema, quietService } from '../helpers/fixtures.ts';
import { frameWith, keys, withView } from '../helpers/ink.ts';

process.env.COLUMNS = '100';

/** The spans one Say.Hello leaves: the server span, and its failing call to the store. */
function spansOf(n: number, start: number): SpanRecord[] {
  const traceId = `${String(n).padStart(2, '0')}${'c'.repeat(30)}`;
  return [
    {
      traceId,
      spanId: 'd000000000000001',
      name: 'greeter Say.Hello',
      kind: 'server',
      service: 'greeter',
      endpoint: 'Say.Hello',
      start,
      duration: 20,
      status: 'unset',
      attributes: {},
    },
    {
      traceId,
      spanId: 'd000000000000002',
      parentSpanId: 'd000000000000001',
      name: 'store Store.Read',
      kind: 'client',
      service: 'greeter',
      endpoint: 'Store.Read',
      start: start + 10,
      duration: 10,
      status: 'error',
      code: 500,
      attributes: { 'peer.service': 'store' },
    },
  ];
}

describe('the call screen: the last call’s trace', () => {
  let registry: Registry;
  let greeter: Service;
  let client: Client;
  let trace: Trace;
  let calls = 0;
  before(async () => {
    registry = createMemoryRegistry();
    trace = createMemoryTrace();
    greeter = quietService({ name: 'greeter', registry, address: '127.0.0.1:0' });
    greeter.handle('Say', {
      Hello: endpoint({ request: nameSchema }, async (req: { name: string }) => {
        // Kept a moment after the call, as a batch of the exporter would be.
        const start = Date.now();
        const n = ++calls;
        setTimeout(() => void trace.write(spansOf(n, start)), 50);
        return { msg: `Hello ${req.name}` };
      }),
    });
    await greeter.start();
    client = createClient({ registry });
  });
  after(async () => {
    await closeAll(client, greeter, registry, trace);
  });

  const view = (t: Trace | undefined) =>
    h(CallView, {
      client,
      service: 'greeter',
      endpoint: { name: 'Say.Hello', request: nameSchema, response: {}, metadata: {} },
      onBack: () => {},
      height: 28,
      width: 100,
      ...(t && { trace: t }),
      look: { interval: 20, tries: 100, more: 1 },
    });

  it('draws the trace of each call as a waterfall once its spans are kept', async () => {
    await withView(view(trace), async (v) => {
      v.stdin.write(keys.ctrlU);
      v.stdin.write('{"name":"Ann"}');
      await frameWith(v, '{"name":"Ann"}');
      v.stdin.write(keys.ctrlS);
      let frame = await frameWith(v, /TRACE {2}01c{30} {2}20\.0ms {2}2 spans {2}1 error/);
      const lines = frame.split('\n');
      const at = lines.findIndex((l) => l.startsWith('TRACE'));
      assert.match(lines[at + 1] ?? '', /^greeter Say\.Hello\s+greeter\s+20\.0ms █{33}$/);
      // The store call: the second half of the trace (33 cells: from cell 16 on).
      assert.match(lines[at + 2] ?? '', /^ {2}store Store\.Read\s+greeter\s+10\.0ms {17}█{17}$/);
      // The next call's trace replaces it.
      v.stdin.write(keys.ctrlS);
      frame = await frameWith(v, /TRACE {2}02c{30}/);
      assert.doesNotMatch(frame, /01c{30}/);
    });
  });

  it('says so when no trace of the call is kept, and shows nothing without a trace service', async () => {
    const empty = createMemoryTrace();
    try {
      await withView(
        h(CallView, {
          client,
          service: 'greeter',
          endpoint: { name: 'Say.Hello', request: nameSchema, response: {}, metadata: {} },
          onBack: () => {},
          height: 28,
          trace: empty,
          look: { interval: 5, tries: 3 },
        }),
        async (v) => {
          v.stdin.write(keys.ctrlS);
          await frameWith(v, /TRACE {2}no trace of this call was kept/);
        },
      );
    } finally {
      await empty.close();
    }
    await withView(view(undefined), async (v) => {
      v.stdin.write(keys.ctrlS);
      const frame = await frameWith(v, /200 OK/);
      assert.doesNotMatch(frame, /TRACE/);
    });
  });

  it('reads the trace id of a traceparent', () => {
    assert.equal(
      traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'),
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    assert.equal(traceIdOf('garbage'), undefined);
    assert.equal(traceIdOf(undefined), undefined);
  });
});
