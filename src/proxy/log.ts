import { printable } from '../registry/printable.ts';
import type { MicroLogger } from '../platform/logs/logger.ts';
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

/**
 * A request log through a micro logger: one line per request, its message the request as the
 * text log shows it (`GET /path 200 1.2ms greeter Say.Hello`), the client's address, status and
 * time as fields; the gateway's default.
 */
export function loggerRequestLog(logger: MicroLogger): (entry: RequestLogEntry) => void {
  return (e) =>
    logger.info(
      { ip: e.ip, status: e.status, ms: Math.round(e.ms * 10) / 10 },
      `${e.method} ${printable(e.url, false)} ${e.status} ${e.ms.toFixed(1)}ms${e.target ? ` ${printable(e.target, false)}` : ''}`,
    );
}
