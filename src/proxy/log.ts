import { printable } from '../registry/printable.ts';
import type { RequestLogEntry } from './proxy.ts';

/**
 * A request log writing one line per request, batched into one write per event-loop turn. The URL
 * and target come from clients and registry records: their control characters are shown escaped.
 */
export function createRequestLog(
  write: (text: string) => void = (t) => void process.stderr.write(t),
): (entry: RequestLogEntry) => void {
  let lines: string[] = [];
  const flush = (): void => {
    const text = lines.join('');
    lines = [];
    write(text);
  };
  return (e) => {
    if (lines.length === 0) setImmediate(flush);
    lines.push(
      `${new Date().toISOString()} api ${e.ip} ${e.method} ${printable(e.url, false)} ${e.status} ${e.ms.toFixed(1)}ms${e.target ? ` ${printable(e.target, false)}` : ''}\n`,
    );
  };
}
