import { loadNamed } from '../../lib/child.ts';
import type { EventsTarget } from '../target.ts';

/** The contenders' client sides by name, loaded lazily so each child holds only its own. */
export const targets: Record<string, () => Promise<EventsTarget>> = {
  redis: async () => (await import('./redis.ts')).redis,
  moleculer: async () => (await import('./moleculer.ts')).moleculer,
  'micro-cp': async () => (await import('./micro.ts')).microEvents('micro'),
  'micro-redis': async () => (await import('./micro.ts')).microEvents('redis'),
  'micro-jetstream': async () => (await import('./micro.ts')).microEvents('jetstream'),
};

/** The target called name, or an error listing the known ones. */
export const loadTarget = (name: string | undefined): Promise<EventsTarget> =>
  loadNamed(targets, name);
