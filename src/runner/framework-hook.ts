// Services run by the binary need no `npm install`: their `import ... from 'micro-ts'` is answered
// by the framework the binary already holds, through synchronous in-thread module hooks.
import { registerHooks, type ModuleHooks } from 'node:module';

/** Specifiers a service may import the framework by: the package name, and the short name. */
export const FRAMEWORK_SPECIFIERS: readonly string[] = ['micro-ts', 'micro'];

/** The URL those specifiers resolve to. */
export const FRAMEWORK_URL = 'micro:framework';

// The generated module reads the runtime from here: a module's source can only hold text.
const RUNTIME = Symbol.for('micro.framework.runtime');

/**
 * Makes `import { createService } from 'micro-ts'` (or from 'micro'), and `require` of the same,
 * return the given runtime's exports in every module loaded after this call. Call it once per
 * process; deregister() undoes it.
 */
export function provideFramework(runtime: Record<string, unknown>): ModuleHooks {
  (globalThis as Record<symbol, unknown>)[RUNTIME] = runtime;
  const source = frameworkSource(Object.keys(runtime));
  return registerHooks({
    resolve(specifier, context, next) {
      if (FRAMEWORK_SPECIFIERS.includes(specifier)) {
        return { url: FRAMEWORK_URL, format: 'module', shortCircuit: true };
      }
      return next(specifier, context);
    },
    load(url, context, next) {
      if (url === FRAMEWORK_URL) return { format: 'module', source, shortCircuit: true };
      return next(url, context);
    },
  });
}

/** An ES module re-exporting each key of the runtime under its own name (any string works). */
export function frameworkSource(keys: string[]): string {
  const lines = [`const runtime = globalThis[Symbol.for(${JSON.stringify(RUNTIME.description)})];`];
  keys.forEach((key, i) => {
    lines.push(`const e${i} = runtime[${JSON.stringify(key)}];`);
    lines.push(`export { e${i} as ${JSON.stringify(key)} };`);
  });
  return `${lines.join('\n')}\n`;
}
