// Number options as typed: yargs turns `--count abc` into NaN, so a check after it could only say
// "not NaN". This middleware, run before any handler, refuses such an option with a 400 that names
// the flag and quotes what was typed (on the command line, else in its MICRO_* variable).
import { badRequest } from '../../runtime/errors.ts';

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** What was typed for `--flag` in args (`--flag v` or `--flag=v`), else in MICRO_FLAG. */
function typed(flag: string, args: readonly string[]): string | undefined {
  for (let i = args.length - 1; i >= 0; i--) {
    const a = args[i]!;
    if (a.startsWith(`--${flag}=`)) return a.slice(flag.length + 3);
    if (a === `--${flag}`) return args[i + 1];
  }
  return process.env[`MICRO_${flag.toUpperCase().replaceAll('-', '_')}`];
}

/** Throws a 400 naming the first number option that is not a number, with what was typed. */
export function checkNumbers(argv: Record<string, unknown>, args: readonly string[]): void {
  for (const [key, value] of Object.entries(argv)) {
    if (typeof value !== 'number' || !Number.isNaN(value)) continue;
    const flag = kebab(key);
    const raw = typed(flag, args);
    throw badRequest(
      'micro.cli',
      `--${flag} must be a number, not ${raw === undefined ? 'empty' : JSON.stringify(raw)}`,
    );
  }
}
