import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { badRequest, notFound } from '../../runtime/errors.ts';

const CANDIDATES = ['main.ts', 'index.ts', 'service.ts', 'main.js', 'index.js', 'service.js'];

/** The file to run for a directory or file, the folder it lives in, and the service's name; a 404 or 400 says what is wrong. */
export function findEntry(target: string): { file: string; dir: string; name: string } {
  const path = resolve(target);
  if (!existsSync(path)) throw notFound('micro.cli', `${target} does not exist`);
  if (statSync(path).isFile())
    return { file: path, dir: dirname(path), name: basename(path).replace(/\.[cm]?[jt]s$/, '') };
  let main: string | undefined;
  try {
    main = (JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { main?: string }).main;
  } catch {
    // no package.json: look for the usual names
  }
  for (const name of main ? [main, ...CANDIDATES] : CANDIDATES) {
    const file = join(path, name);
    if (existsSync(file)) return { file, dir: path, name: basename(path) };
  }
  throw badRequest(
    'micro.cli',
    `no entry file in ${target}: add one of ${CANDIDATES.join(', ')}, or "main" in package.json`,
  );
}
