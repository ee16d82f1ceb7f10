// Services traced into an in-memory exporter, wired as the platform's createService wires tracing
// (its observer and wrappers outermost), so a test reads the spans each request made.
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Registry, Service, ServiceOptions } from '../../src/runtime/index.ts';
import { tracingFromEnv, type Tracing } from '../../src/platform/trace/enable.ts';
import { quietService } from './fixtures.ts';

/** A traced service and its tracing. */
export interface Traced {
  service: Service;
  tracing: Tracing;
}

/** A quiet service named `name` whose spans go to `exporter` as each ends. */
export function tracedService(
  name: string,
  registry: Registry,
  exporter: InMemorySpanExporter,
  env: NodeJS.ProcessEnv = {},
  options: Partial<ServiceOptions> = {},
): Traced {
  const id = `${name}-node`;
  const tracing = tracingFromEnv(env, { service: name, node: id, exporter, delay: 0 })!;
  const service = quietService({
    name,
    id,
    registry,
    observe: tracing.observe,
    wrapCall: [tracing.wrapCall],
    wrapStream: [tracing.wrapStream],
    wrapPublish: [tracing.wrapPublish],
    ...options,
  });
  return { service, tracing };
}

/** The finished span named `name` (the last one, when there are several); throws if none. */
export function spanNamed(exporter: InMemorySpanExporter, name: string): ReadableSpan {
  const found = exporter.getFinishedSpans().filter((s) => s.name === name);
  const span = found.at(-1);
  if (!span)
    throw new Error(
      `no span ${name}; spans: ${exporter
        .getFinishedSpans()
        .map((s) => s.name)
        .join(', ')}`,
    );
  return span;
}

/** Whether child's parent is parent (same trace, parent span id). */
export function isChildOf(child: ReadableSpan, parent: ReadableSpan): boolean {
  return (
    child.spanContext().traceId === parent.spanContext().traceId &&
    child.parentSpanContext?.spanId === parent.spanContext().spanId
  );
}

export { InMemorySpanExporter };
