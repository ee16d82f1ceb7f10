// Which traces are kept: the sampler named by MICRO_TRACE_SAMPLE, else by OpenTelemetry's own
// OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, else parent-based (a root always sampled, a
// child as its parent was). A value neither knows is a TypeError when the service starts, never a
// silent default. The decision is made once, at a trace's root, and travels in `traceparent`.
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace';

/** A ratio between 0 and 1 from its text, or a TypeError naming the variable. */
function ratioOf(text: string | undefined, name: string, fallback?: number): number {
  if ((text === undefined || text.trim() === '') && fallback !== undefined) return fallback;
  const t = (text ?? '').trim();
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : Number.NaN;
  if (!(n >= 0 && n <= 1))
    throw new TypeError(
      `${name} needs a ratio between 0 and 1, such as 0.1; got ${JSON.stringify(text ?? '')}`,
    );
  return n;
}

/** MICRO_TRACE_SAMPLE's sampler: always, never, ratio:<0..1>, parent or parent:<0..1>. */
function microSampler(value: string): Sampler {
  const v = value.trim().toLowerCase();
  const colon = v.indexOf(':');
  const head = colon < 0 ? v : v.slice(0, colon);
  const arg = colon < 0 ? undefined : v.slice(colon + 1);
  if (head === 'always' && arg === undefined) return new AlwaysOnSampler();
  if (head === 'never' && arg === undefined) return new AlwaysOffSampler();
  if (head === 'ratio' && arg !== undefined)
    return new TraceIdRatioBasedSampler(ratioOf(arg, 'MICRO_TRACE_SAMPLE=ratio:'));
  if (head === 'parent') {
    const root =
      arg === undefined
        ? new AlwaysOnSampler()
        : new TraceIdRatioBasedSampler(ratioOf(arg, 'MICRO_TRACE_SAMPLE=parent:'));
    return new ParentBasedSampler({ root });
  }
  throw new TypeError(
    `MICRO_TRACE_SAMPLE must be always, never, ratio:<0..1>, parent or parent:<0..1>; got ${JSON.stringify(value)}`,
  );
}

/** OTEL_TRACES_SAMPLER's sampler, as OpenTelemetry's specification names them. */
function otelSampler(name: string, arg: string | undefined): Sampler {
  const ratio = (): number => ratioOf(arg, 'OTEL_TRACES_SAMPLER_ARG', 1);
  switch (name.trim().toLowerCase()) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      throw new TypeError(
        `OTEL_TRACES_SAMPLER must be always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio; got ${JSON.stringify(name)}`,
      );
  }
}

/** The sampler the environment asks for (see the module comment); a bad value is a TypeError. */
export function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  const micro = env.MICRO_TRACE_SAMPLE;
  if (micro !== undefined && micro.trim() !== '') return microSampler(micro);
  const otel = env.OTEL_TRACES_SAMPLER;
  if (otel !== undefined && otel.trim() !== '')
    return otelSampler(otel, env.OTEL_TRACES_SAMPLER_ARG);
  return new ParentBasedSampler({ root: new AlwaysOnSampler() });
}
