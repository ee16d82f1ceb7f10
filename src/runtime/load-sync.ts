import { createRequire } from 'node:module';

/**
 * Loads a package synchronously at its first use rather than at import, so that a service pays
 * only for what it uses. `bundled` is `() => require('<name>')` with the name written out, which
 * esbuild bundles into the single binary; in development these files are ES modules, require is
 * undefined there, and createRequire loads the package instead.
 */
export function loadSync<T>(name: string, bundled: () => unknown): T {
  return (typeof require === 'function' ? bundled() : createRequire(import.meta.url)(name)) as T;
}
