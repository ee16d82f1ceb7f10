// Watching a service's sources for `micro run`'s reload: one recursive watch on its folder, the
// changes of a burst (an editor's save, a git checkout) delivered once.
import { watch, type FSWatcher } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Options of a source watch. */
export interface WatchSourcesOptions {
  /** How long changes must pause before they are delivered, in ms (default 150). */
  debounce?: number;
  /** Folders (absolute, or relative to the watched one) whose changes do not count, e.g. the data dir. */
  ignore?: string[];
}

/** A running watch; close() ends it. */
export interface SourceWatch {
  close(): void;
}

/** Editors' and tools' scratch files: backups (`x~`), vim's `4913` probe, sed -i's `sedXXXXXX`. */
function scratchFile(rel: string): boolean {
  const name = rel.split(/[\\/]/).at(-1) ?? '';
  return name.endsWith('~') || name === '4913' || /^sed[A-Za-z0-9]{6}$/.test(name);
}

/** True for a path no reload should follow: node_modules, dotfiles and dot-folders (.git). */
export function ignoredPath(rel: string): boolean {
  return rel.split(/[\\/]/).some((part) => part === 'node_modules' || part.startsWith('.'));
}

/**
 * Calls onChange with the changed files (relative to dir) once changes under dir pause for the
 * debounce time; node_modules, dotfiles and the ignored folders do not count.
 */
export function watchSources(
  dir: string,
  onChange: (files: string[]) => void,
  options: WatchSourcesOptions = {},
): SourceWatch {
  const root = resolve(dir);
  const ignored = (options.ignore ?? [])
    .map((p) => relative(root, resolve(root, p)))
    .filter((rel) => rel !== '' && !rel.startsWith('..') && !isAbsolute(rel));
  const debounce = options.debounce ?? 150;
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  // A service file lying in the home folder (or /) has its folder watched, not everything below it.
  const recursive = root !== homedir() && root !== resolve('/');
  let closed = false;
  let watcher: FSWatcher | undefined;
  const onEvent = (_event: string, file: string | Buffer | null): void => {
    const rel = file ? String(file) : '';
    if (rel === '' || ignoredPath(rel) || scratchFile(rel)) return;
    if (ignored.some((i) => rel === i || rel.startsWith(`${i}${sep}`))) return;
    pending.add(rel);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...pending].sort();
      pending.clear();
      // A file saved by replacing it (sed -i, many editors) is a new file the old watch does not
      // see: watch afresh after each burst.
      start();
      onChange(files);
    }, debounce);
  };
  const start = (): void => {
    watcher?.close();
    if (closed) return;
    watcher = watch(root, { recursive, persistent: false }, onEvent);
    // A folder that goes away (deleted, unmounted) ends the watch, not the process.
    watcher.on('error', () => watcher?.close());
  };
  start();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
