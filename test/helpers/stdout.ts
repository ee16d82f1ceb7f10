// What a CLI function run in the test's own process writes to stdout (or stderr): the strings it
// writes are kept; the test runner's own reports (bytes, on the same stdout) pass through.
import { mock } from 'node:test';

/** Starts keeping the strings written to the stream (stdout by default); restore() stops. */
export function capture(stream: NodeJS.WriteStream = process.stdout): {
  text(): string;
  restore(): void;
} {
  const out: string[] = [];
  const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  const spy = mock.method(stream, 'write', (chunk: unknown, ...rest: unknown[]) =>
    typeof chunk === 'string' ? out.push(chunk) > 0 : write(chunk, ...rest),
  );
  return { text: () => out.join(''), restore: () => spy.mock.restore() };
}

/** What fn wrote to stdout while it ran. */
export async function captured(fn: () => Promise<void>): Promise<string> {
  const c = capture();
  try {
    await fn();
  } finally {
    c.restore();
  }
  return c.text();
}
