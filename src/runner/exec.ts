// The process `micro __exec FILE` becomes (started by micro run and the supervisor): the framework
// provided to the service's imports, then the service file. bin/micro.ts reaches this without
// loading the CLI, so that a service starts as fast as the runtime allows.
import { createRequire, enableCompileCache } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import * as runtime from '../index.ts';
import { provideFramework } from './framework-hook.ts';

/**
 * Where compiled service code is kept between runs: NODE_COMPILE_CACHE when set, else
 * ~/.cache/micro/compile (or under $XDG_CACHE_HOME).
 */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NODE_COMPILE_CACHE) return undefined; // Node's own choice
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'micro', 'compile');
}

/**
 * Libraries the binary ships for services without node_modules: Zod 4, the schema library `micro
 * new` scaffolds with (`zod` and `zod/v4` are the same module in Zod 4).
 */
const SHIPPED = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  zod: () => library((): unknown => require('zod'), 'zod'),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  'zod/v4': () => library((): unknown => require('zod'), 'zod'),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  'zod/mini': () => library((): unknown => require('zod/mini'), 'zod/mini'),
};

/** Runs a service file with the framework provided; resolves once the file's module has run. */
export async function execService(file: string): Promise<void> {
  provideFramework(
    runtime,
    {
      // What package.json exports as micro-ts/proxy and micro-ts/registry, loaded when imported.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      proxy: () => part('proxy', (): unknown => require('../proxy/index.ts')),
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      registry: () => part('registry', (): unknown => require('../registry/index.ts')),
    },
    SHIPPED,
  );
  // Stripping a .ts service's types first loads Node's TypeScript parser (about 100 ms); the compile
  // cache keeps the stripped code, and V8's, so that later starts skip both. A cache that cannot be
  // written (read-only home) is only slower; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  enableCompileCache(compileCacheDir());
  // Started by micro run or the supervisor: stop cleanly if that parent goes away, even by SIGKILL.
  if (process.send) {
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    process.channel?.unref(); // the channel alone must not keep the service running
  }
  try {
    await import(pathToFileURL(file).href);
  } catch (err) {
    failed(err);
  }
}

/**
 * Ends the service process after its file failed: the process must not live on with a port open
 * and nothing registered. A micro error (the registry did not answer, say) is printed as its JSON;
 * anything else is the user's own code failing, printed with the file, the line and the stack.
 */
function failed(err: unknown): void {
  const known = knownError(err);
  if (known) {
    process.stderr.write(`${JSON.stringify(known)}\n`);
    process.exit(1);
  }
  process.stderr.write(`${inspect(err)}\n`);
  process.exit(1);
}

/** The codes of an engine that did not answer (registry, broker): a 503, as for a node that did not. */
const UNREACHABLE: ReadonlySet<string> = new Set([
  runtime.RegistryErrors.unavailable,
  runtime.BrokerErrors.notConnected,
]);

/** A micro error, or one with a MICRO_ERR_ code (the registry's, a broker's, a codec's) made into one. */
function knownError(err: unknown): runtime.MicroError | undefined {
  if (err instanceof runtime.MicroError) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('MICRO_ERR_')) return undefined;
  const status = UNREACHABLE.has(code) ? 503 : code === runtime.RegistryErrors.notFound ? 404 : 500;
  return new runtime.MicroError('micro', status, (err as Error).message);
}

/**
 * A part of the framework, synchronously: `bundled` is `() => require('<path>')` written out, which
 * esbuild bundles into the binary; in development this file is an ES module and require is
 * undefined, so createRequire loads the TypeScript module (Node 24 requires ES modules).
 */
function part(name: string, bundled: () => unknown): Record<string, unknown> {
  const loaded: unknown =
    typeof require === 'function'
      ? bundled()
      : createRequire(import.meta.url)(`../${name}/index.ts`);
  return loaded as Record<string, unknown>;
}

/** A shipped library, synchronously: bundled into the binary, or from micro's own node_modules in development. */
function library(bundled: () => unknown, name: string): Record<string, unknown> {
  const loaded: unknown =
    typeof require === 'function' ? bundled() : createRequire(import.meta.url)(name);
  return loaded as Record<string, unknown>;
}
