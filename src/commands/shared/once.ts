// Options given more than once: yargs makes a repeated option an array, which a command reading it
// as one value would crash on. singleValued refuses them with a 400 naming the option, except the
// ones the command takes as lists.
import { badRequest } from '../../runtime/errors.ts';

/** Throws a 400 for the first option (besides `lists`, and positionals) given more than once. */
export function singleValued(args: Record<string, unknown>, lists: readonly string[] = []): void {
  for (const [key, value] of Object.entries(args)) {
    // A one-letter alias (-m) comes with its long name, which is the one checked and named.
    if (!Array.isArray(value) || key.length === 1 || key.includes('-') || lists.includes(key))
      continue;
    const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw badRequest('micro.cli', `--${flag} was given more than once: give it once`);
  }
}
