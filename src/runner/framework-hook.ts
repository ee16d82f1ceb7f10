// Services run by the binary need no `npm install`: their `import ... from 'micro-ts'` is answered
// by the framework the binary already holds, through synchronous in-thread module hooks.
import { registerHooks, type ModuleHooks } from 'node:module';

/** Specifiers a service may import the framework by: the package name, and the short name. */
export const FRAMEWORK_SPECIFIERS: readonly string[] = ['micro-ts', 'micro'];

/** The URL those specifiers resolve to. */
export const FRAMEWORK_URL = 'micro:framework';

// The generated module reads the runtime from here: a module's source can only hold text.
const RUNTIME = Symbol.for('micro.framework.runtime');

/** Parts of the package besides the runtime, as `micro-ts/<part>` names them; loaded when imported. */
export type FrameworkParts = Record<string, () => Record<string, unknown>>;

/**
 * Makes `import { createService } from 'micro-ts'` (or from 'micro'), and `require` of the same,
 * return the given runtime's exports in every module loaded after this call; `micro-ts/<part>`
 * (e.g. `micro-ts/proxy`) returns what `parts[part]()` gives, loaded at its first import.
 * `libraries` are packages the binary ships (Zod): a service's own installed copy wins, and only
 * when it has none does `import 'zod'` get the shipped one. Call it once per process; deregister()
 * undoes it.
 */
export function provideFramework(
  runtime: Record<string, unknown>,
  parts: FrameworkParts = {},
  libraries: FrameworkParts = {},
): ModuleHooks {
  const modules = new Map<string, () => Record<string, unknown>>([['', () => runtime]]);
  for (const [part, load] of Object.entries(parts)) modules.set(part, load);
  for (const [name, load] of Object.entries(libraries)) modules.set(`lib/${name}`, load);
  const urlOf = (specifier: string): string | undefined => {
    for (const base of FRAMEWORK_SPECIFIERS) {
      if (specifier === base) return FRAMEWORK_URL;
      if (specifier.startsWith(`${base}/`) && modules.has(specifier.slice(base.length + 1)))
        return `${FRAMEWORK_URL}/${specifier.slice(base.length + 1)}`;
    }
    return undefined;
  };
  return registerHooks({
    resolve(specifier, context, next) {
      const url = urlOf(specifier);
      if (url) return { url, format: 'module', shortCircuit: true };
      if (!Object.hasOwn(libraries, specifier)) return next(specifier, context);
      try {
        return next(specifier, context);
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
        return { url: `${FRAMEWORK_URL}/lib/${specifier}`, format: 'module', shortCircuit: true };
      }
    },
    load(url, context, next) {
      if (url !== FRAMEWORK_URL && !url.startsWith(`${FRAMEWORK_URL}/`)) return next(url, context);
      const part = url.slice(FRAMEWORK_URL.length + 1);
      const exports = (modules.get(part) as () => Record<string, unknown>)();
      (globalThis as Record<symbol, unknown>)[
        Symbol.for(`${RUNTIME.description}${part && `/${part}`}`)
      ] = exports;
      return {
        format: 'module',
        source: frameworkSource(Object.keys(exports), part),
        shortCircuit: true,
      };
    },
  });
}

/** An ES module re-exporting each key of the runtime (or of a part) under its own name. */
export function frameworkSource(keys: string[], part = ''): string {
  const name = `${RUNTIME.description}${part && `/${part}`}`;
  const lines = [`const runtime = globalThis[Symbol.for(${JSON.stringify(name)})];`];
  keys.forEach((key, i) => {
    lines.push(`const e${i} = runtime[${JSON.stringify(key)}];`);
    lines.push(`export { e${i} as ${JSON.stringify(key)} };`);
  });
  return `${lines.join('\n')}\n`;
}
