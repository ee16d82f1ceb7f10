import { loadNamed } from '../../lib/child.ts';
import type { Target } from '../target.ts';

/** The systems under test by name, loaded lazily so each child holds only its own. */
export const targets: Record<string, () => Promise<Target>> = {
  micro: async () => (await import('./micro.ts')).micro,
  'micro-ajv': async () => (await import('./micro.ts')).microAjv,
  'micro-zod': async () => (await import('./micro.ts')).microZod,
  'micro-auth': async () => (await import('./micro-auth.ts')).microAuth,
  'micro-trace': async () => (await import('./micro-trace.ts')).microTrace,
  'micro-trace-1': async () => (await import('./micro-trace.ts')).microTrace1,
  'micro-trace-metrics': async () => (await import('./micro-trace.ts')).microTraceMetrics,
  moleculer: async () => (await import('./moleculer.ts')).moleculer,
  floor: async () => (await import('./floor.ts')).floor,
};

/** The target called name, or an error listing the known ones. */
export const loadTarget = (name: string | undefined): Promise<Target> => loadNamed(targets, name);
