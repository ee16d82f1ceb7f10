import { printable, printableJson } from '../../registry/printable.ts';
import { MicroError, toMicroError } from '../../runtime/errors.ts';

/**
 * Prints data as JSON, or as text through the given formatter. Either way no control character
 * from the data reaches the terminal: text goes through printable(), JSON through printableJson().
 */
export function print(output: 'text' | 'json', data: unknown, text: (d: never) => string): void {
  process.stdout.write(
    output === 'json' ? `${json(data)}\n` : `${printable(text(data as never))}\n`,
  );
}

/** JSON as the CLI prints it: indented (or on one line), with every control character escaped. */
export function json(data: unknown, indented = true): string {
  return printableJson(JSON.stringify(data, null, indented ? 2 : undefined));
}

/** Lays rows out in aligned columns under a header; a cell's control characters and line breaks are escaped. */
export function table(header: string[], rows: string[][]): string {
  rows = rows.map((r) => r.map((c) => printable(c, false)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** Prints an error as its JSON shape on stderr and sets a non-zero exit code. */
export function fail(err: unknown): void {
  const e = err instanceof MicroError ? err : toMicroError(err, 'micro.cli');
  process.stderr.write(`${json(e, false)}\n`);
  process.exitCode = 1;
}

/** Prints what was wrong with the command line (yargs' message, escaped) and exits 1. */
export function failUsage(message: string): void {
  process.stderr.write(`${printable(message)}\nRun "micro --help" for usage.\n`);
  process.exit(1);
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
