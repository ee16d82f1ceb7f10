import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, trace, type Span } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { createMemoryRegistry, type Context } from '../../../src/runtime/index.ts';
import { createService } from '../../../src/platform/service.ts';
import { samplerFromEnv } from '../../../src/platform/trace/sampler.ts';
import { tracingFromEnv } from '../../../src/platform/trace/enable.ts';
import { quiet } from '../../helpers/fixtures.ts';
import { InMemorySpanExporter, tracedService, type Traced } from '../../helpers/traced.ts';

describe('the sampler from the environment', () => {
  it('refuses values it does not know with a TypeError naming the variable', () => {
    for (const v of [
      'sometimes',
      'ratio:2',
      'ratio:',
      'ratio:-0.1',
      'parent:x',
      'always:1',
      'ratio',
    ])
      assert.throws(() => samplerFromEnv({ MICRO_TRACE_SAMPLE: v }), /MICRO_TRACE_SAMPLE/, v);
    assert.throws(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'bogus' }), /OTEL_TRACES_SAMPLER/);
    assert.throws(
      () =>
        samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' }),
      /OTEL_TRACES_SAMPLER_ARG/,
    );
    assert.throws(
      () => tracingFromEnv({ MICRO_TRACE: 'maybe' }, { service: 's', node: 'n' }),
      /MICRO_TRACE/,
    );
    assert.equal(tracingFromEnv({ MICRO_TRACE: 'off' }, { service: 's', node: 'n' }), undefined);
  });

  it('samples about the ratio asked of roots, and MICRO_TRACE_SAMPLE wins over OTEL_TRACES_SAMPLER', () => {
    const sampled = (env: NodeJS.ProcessEnv): number => {
      const s = samplerFromEnv(env);
      let n = 0;
      for (let i = 0; i < 1000; i++) {
        const r = s.shouldSample(
          ROOT_CONTEXT,
          randomBytes(16).toString('hex'),
          'x',
          SpanKind.SERVER,
          {},
          [],
        );
        if (r.decision === SamplingDecision.RECORD_AND_SAMPLED) n++;
      }
      return n;
    };
    const half = sampled({ MICRO_TRACE_SAMPLE: 'ratio:0.5' });
    assert.ok(half > 350 && half < 650, String(half));
    assert.equal(sampled({ MICRO_TRACE_SAMPLE: 'parent:0' }), 0);
    assert.equal(sampled({ MICRO_TRACE_SAMPLE: 'parent' }), 1000);
    assert.equal(sampled({ MICRO_TRACE_SAMPLE: 'never', OTEL_TRACES_SAMPLER: 'always_on' }), 0);
    assert.equal(sampled({ OTEL_TRACES_SAMPLER: 'always_off' }), 0);
    const otel = sampled({
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.5',
    });
    assert.ok(otel > 350 && otel < 650, String(otel));
    assert.equal(sampled({}), 1000);
  });
});

describe('sampling along a call', () => {
  const registry = createMemoryRegistry();
  const exporter = new InMemorySpanExporter();
  const seen: { traceparent?: string; active: boolean }[] = [];
  const made: Traced[] = [];
  const traced = async (name: string, env: NodeJS.ProcessEnv): Promise<Traced> => {
    const t = tracedService(name, registry, exporter, env);
    t.service.handle('S', {
      Hit: async (req: { to?: string }, ctx: Context) => {
        seen.push({
          traceparent: ctx.metadata.traceparent,
          active: trace.getActiveSpan() !== undefined,
        });
        return req.to ? ctx.call(req.to, 'S.Hit', {}) : {};
      },
    });
    await t.service.start();
    made.push(t);
    return t;
  };
  let never: Traced;

  before(async () => {
    never = await traced('never', { MICRO_TRACE_SAMPLE: 'never' });
    await traced('parent', {});
    await traced('ratio0', { MICRO_TRACE_SAMPLE: 'ratio:0' });
    await traced('ratio1', { MICRO_TRACE_SAMPLE: 'ratio:1' });
  });
  after(async () => {
    for (const t of made) {
      await t.service.stop();
      await t.tracing.shutdown();
    }
  });

  const services = () =>
    exporter
      .getFinishedSpans()
      .map((s) => `${String(s.resource.attributes['service.name'])} ${SpanKind[s.kind]}`);

  it('never: nothing is recorded, and the callee follows the unsampled parent', async () => {
    exporter.reset();
    seen.length = 0;
    await never.service.client.call('never', 'S.Hit', { to: 'parent' });
    assert.deepEqual(services(), []);
    // The decision travels: the callee got a traceparent whose flags say "not sampled".
    assert.match(seen.at(-1)!.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });

  it('ratio ignores the parent: ratio:0 records nothing under a sampled caller, ratio:1 records under an unsampled one', async () => {
    exporter.reset();
    const parent = made.find((t) => t.service.name === 'parent')!;
    await parent.service.client.call('ratio0', 'S.Hit', {});
    assert.deepEqual(services(), ['parent CLIENT']);
    exporter.reset();
    await never.service.client.call('ratio1', 'S.Hit', {});
    assert.deepEqual(services(), ['ratio1 SERVER']);
  });

  it('parent: a sampled caller’s callee is recorded', async () => {
    exporter.reset();
    const parent = made.find((t) => t.service.name === 'parent')!;
    await parent.service.client.call('parent', 'S.Hit', {});
    assert.deepEqual(services().sort(), ['parent CLIENT', 'parent SERVER']);
  });
});

describe('MICRO_TRACE in the platform’s createService', () => {
  const active = async (env: string | undefined): Promise<Span | undefined> => {
    const before = process.env.MICRO_TRACE;
    if (env === undefined) delete process.env.MICRO_TRACE;
    else process.env.MICRO_TRACE = env;
    const registry = createMemoryRegistry();
    let span: Span | undefined;
    const svc = createService({ name: 'plain', registry, logger: quiet, handleSignals: false });
    if (before === undefined) delete process.env.MICRO_TRACE;
    else process.env.MICRO_TRACE = before;
    svc.handle('S', {
      Hit: async () => {
        span = trace.getActiveSpan();
        return {};
      },
    });
    await svc.start();
    try {
      await svc.client.call('plain', 'S.Hit', {});
    } finally {
      await svc.stop();
    }
    return span;
  };

  it('traces by default and makes nothing with MICRO_TRACE=off', async () => {
    const on = (await active(undefined)) as Span & {
      resource?: { attributes: Record<string, unknown> };
    };
    assert.equal(on?.spanContext().traceFlags, 1); // sampled
    assert.equal(on.resource?.attributes['service.name'], 'plain');
    assert.equal(await active('off'), undefined);
  });
});
