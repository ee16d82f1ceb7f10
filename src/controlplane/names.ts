// The names of supervised services: the registry's rule, and the log file each name gets.
import { relative, resolve, sep } from 'node:path';
import { printable } from '../registry/printable.ts';
import { DEFAULT_LIMITS, NAME } from '../registry/validate.ts';

/**
 * Throws a TypeError (a 400 in the runtime service) unless the name is one a service may have: the
 * registry's rule (letters, digits, ., - and _; not starting with . or -), so that it is also a
 * file name that stays in the logs folder.
 */
export function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '')
    throw new TypeError('name must be a non-empty string');
  if (name.length > DEFAULT_LIMITS.nameLength)
    throw new TypeError(
      `name is ${name.length} characters long; the limit is ${DEFAULT_LIMITS.nameLength}`,
    );
  if (!NAME.test(name))
    throw new TypeError(
      `"${printable(name.slice(0, 40), false)}" is not a valid name: use letters, digits, ., - and _ (not starting with . or -)`,
    );
}

/** Where a service's log is kept: in <dataDir>/logs, whatever the name (a TypeError otherwise). */
export function logFileOf(dataDir: string, name: string): string {
  checkName(name);
  const folder = resolve(dataDir, 'logs');
  const file = resolve(folder, `${name}.log`);
  const inside = relative(folder, file);
  if (inside === '' || inside.startsWith('..') || inside.includes(sep))
    throw new TypeError(`the log of "${name}" would be outside ${folder}`);
  return file;
}
