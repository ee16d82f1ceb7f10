// A service's request counts as Prometheus reads them: the text format parses (and passes
// promtool), requests are counted by endpoint, kind and code, histogram buckets are cumulative
// with +Inf equal to the count, label values are escaped, names the service does not serve count
// as `other`, and Debug.* probes are not counted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { badRequest, internalServerError, notFound } from '../../../src/runtime/errors.ts';
import type { ObservedRequest } from '../../../src/runtime/server/observe.ts';
import { nodeMetrics } from '../../../src/platform/metrics/debug.ts';
import { LATENCY_BUCKETS } from '../../../src/platform/metrics/metrics.ts';
import { metricsObserver } from '../../../src/platform/metrics/observer.ts';
import { render, requestMetrics } from '../../../src/platform/metrics/registry.ts';
import { parseExposition, promtoolCheck, select } from '../../helpers/prometheus-text.ts';

const request = (endpoint: string, kind: ObservedRequest['kind'] = 'call'): ObservedRequest => ({
  service: 'greeter',
  endpoint,
  kind,
  metadata: {},
  remote: '127.0.0.1:1',
});

describe('metrics observer', () => {
  const served = new Set(['Say.Hello', 'Say.Stream', 'orders', 'Say."odd"\\name\n']);
  const counts = metricsObserver({ service: 'greeter', served: (e) => served.has(e) });
  const observe = (endpoint: string, kind: ObservedRequest['kind'] = 'call') => {
    const o = counts.observe(request(endpoint, kind));
    assert.ok(o);
    return o;
  };
  for (let i = 0; i < 5; i++) observe('Say.Hello').end(undefined, false);
  observe('Say.Hello').end(badRequest('x', 'no'), false);
  observe('Say.Hello').end(internalServerError('x', 'broke'), false);
  observe('Say.Hello').end(undefined, true);
  const open = observe('Say.Hello');
  const stream = observe('Say.Stream', 'stream');
  observe('orders', 'event').end(undefined, false);
  observe('Made.Up').end(notFound('x', 'no such endpoint'), false);
  observe('Made.Up2').end(notFound('x', 'no such endpoint'), false);
  observe('Say."odd"\\name\n').end(undefined, false);
  counts.publish(3);
  assert.equal(counts.observe(request('Debug.Health')), undefined);

  it('renders the contract series in the text format, counted by code', async () => {
    const { body, contentType } = await render(requestMetrics(counts));
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    const e = parseExposition(body);
    const hello = { service: 'greeter', endpoint: 'Say.Hello', kind: 'call' };
    const total = (code: string) => select(e, 'micro_requests_total', { ...hello, code })[0]?.value;
    assert.equal(total('200'), 5);
    assert.equal(total('400'), 1);
    assert.equal(total('500'), 1);
    assert.equal(total('499'), 1, 'a request its caller left');
    assert.equal(e.types.get('micro_requests_total'), 'counter');
    assert.equal(e.types.get('micro_request_duration_seconds'), 'histogram');
    const inflight = select(e, 'micro_requests_in_flight', { endpoint: 'Say.Hello' });
    assert.equal(inflight[0]?.value, 1);
    assert.equal(select(e, 'micro_requests_in_flight', { endpoint: 'Say.Stream' })[0]?.value, 1);
    assert.equal(select(e, 'micro_streams_open', { service: 'greeter' })[0]?.value, 1);
    const broker = (direction: string) =>
      select(e, 'micro_broker_messages_total', { direction })[0]?.value;
    assert.equal(broker('published'), 3);
    assert.equal(broker('delivered'), 1);
    assert.equal(
      select(e, 'micro_requests_total', { endpoint: 'orders', kind: 'event' })[0]?.value,
      1,
    );
    assert.ok(select(e, 'process_cpu_user_seconds_total').length === 1, "Node's default metrics");
    assert.ok(select(e, 'nodejs_eventloop_lag_p99_seconds').length === 1);
    const lint = promtoolCheck(body);
    if (lint !== undefined) assert.equal(lint, '', 'promtool check metrics');
  });

  it('keeps histogram buckets cumulative, +Inf equal to the count', async () => {
    const e = parseExposition((await render(requestMetrics(counts))).body);
    const labels = { endpoint: 'Say.Hello', kind: 'call' };
    const buckets = select(e, 'micro_request_duration_seconds_bucket', labels);
    assert.deepEqual(
      buckets.map((b) => b.labels.le),
      [...LATENCY_BUCKETS.map(String), '+Inf'],
    );
    for (let i = 1; i < buckets.length; i++)
      assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'cumulative');
    const count = select(e, 'micro_request_duration_seconds_count', labels)[0]?.value;
    assert.equal(count, 8);
    assert.equal(buckets.at(-1)?.value, count);
    const sum = select(e, 'micro_request_duration_seconds_sum', labels)[0]?.value ?? -1;
    assert.ok(sum >= 0);
  });

  it('escapes label values and counts names it does not serve as other', async () => {
    const { body } = await render(requestMetrics(counts));
    assert.ok(body.includes('endpoint="Say.\\"odd\\"\\\\name\\n"'), 'escaped in the text');
    const e = parseExposition(body);
    assert.equal(select(e, 'micro_requests_total', { endpoint: 'Say."odd"\\name\n' })[0]?.value, 1);
    assert.equal(
      select(e, 'micro_requests_total', { endpoint: 'other', code: '404' })[0]?.value,
      2,
    );
    assert.equal(select(e, 'micro_requests_total', { endpoint: 'Made.Up' }).length, 0);
    assert.equal(select(e, 'micro_requests_total', { endpoint: 'Debug.Health' }).length, 0);
  });

  it('answers Debug.Metrics as NodeMetrics', () => {
    const m = nodeMetrics(counts, { version: '1.2.0', node: 'greeter-1' });
    assert.equal(m.service, 'greeter');
    assert.equal(m.version, '1.2.0');
    assert.equal(m.node, 'greeter-1');
    assert.equal(m.streams, 1);
    assert.deepEqual(m.broker, { published: 3, delivered: 1 });
    const hello = m.endpoints.find((x) => x.endpoint === 'Say.Hello' && x.kind === 'call');
    assert.ok(hello);
    assert.equal(hello.calls, 8);
    assert.equal(hello.errors, 2);
    assert.equal(hello.cancelled, 1);
    assert.equal(hello.inflight, 1);
    assert.equal(hello.buckets.length, LATENCY_BUCKETS.length + 1);
    assert.equal(hello.buckets.at(-1), hello.calls);
    open.end(undefined, false);
    stream.end(undefined, false);
    const after = nodeMetrics(counts, { version: '1.2.0', node: 'greeter-1' });
    assert.equal(after.streams, 0);
    assert.equal(after.endpoints.find((x) => x.endpoint === 'Say.Hello')?.inflight, 0);
  });
});
