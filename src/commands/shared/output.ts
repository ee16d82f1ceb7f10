import { MicroError, toMicroError } from '../../runtime/errors.ts';

/** Prints data as JSON, or as text through the given formatter. */
export function print(output: 'text' | 'json', data: unknown, text: (d: never) => string): void {
  process.stdout.write(
    output === 'json' ? `${JSON.stringify(data, null, 2)}\n` : `${text(data as never)}\n`,
  );
}

/** Lays rows out in aligned columns under a header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** Prints an error as its JSON shape on stderr and sets a non-zero exit code. */
export function fail(err: unknown): void {
  const e = err instanceof MicroError ? err : toMicroError(err, 'micro.cli');
  process.stderr.write(`${JSON.stringify(e)}\n`);
  process.exitCode = 1;
}

/** Wraps a command handler so that any error is printed as error JSON with exit code 1. */
export function handled<A>(fn: (args: A) => Promise<void>): (args: A) => Promise<void> {
  return async (args) => {
    try {
      await fn(args);
    } catch (err) {
      fail(err);
    }
  };
}
