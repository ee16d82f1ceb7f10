import { printable, printableJson } from '../../registry/printable.ts';
import { badRequest, MicroError, toMicroError } from '../../runtime/errors.ts';
import { withLoginHint } from './auth-token.ts';

export { table, TableWriter } from '../../ui/table.ts';

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

/** A JSON array printed as its items arrive, exactly as print() would print the whole array. */
export class JsonArrayWriter {
  #count = 0;

  /** The text for these items, to write as it is. */
  items(items: unknown[]): string {
    let text = '';
    for (const item of items) {
      text += `${this.#count++ === 0 ? '[\n' : ',\n'}${json(item).replace(/^/gm, '  ')}`;
    }
    return text;
  }

  /** The closing text. */
  end(): string {
    return this.#count === 0 ? '[]\n' : '\n]\n';
  }
}

/** A TypeError of micro's own checks of a setting (MICRO_* variables, flags, a resiliency file): the user's mistake, a 400. */
const settingRefused = (err: unknown): err is TypeError =>
  err instanceof TypeError &&
  /^(MICRO_[A-Z_]+ |--[a-z-]+ |resiliency file |unknown [a-z ]+ ")/.test(err.message);

/** Prints an error as its JSON shape on stderr (a 401 says to log in) and sets a non-zero exit code. */
export function fail(err: unknown): void {
  const e = withLoginHint(
    err instanceof MicroError
      ? err
      : settingRefused(err)
        ? badRequest('micro.cli', err.message)
        : toMicroError(err, 'micro.cli'),
  );
  process.stderr.write(`${json(e, false)}\n`);
  process.exitCode = 1;
}

/**
 * Prints what was wrong with the command line (yargs' message, escaped) as error JSON, as every
 * other failure of the CLI is, and exits 1.
 */
export function failUsage(message: string): void {
  const text = printable(message.trim()).replaceAll('\n', '; ');
  const detail = text.includes('micro --help') ? text : `${text} (see micro --help)`;
  process.stderr.write(`${json(badRequest('micro.cli', detail), false)}\n`);
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
