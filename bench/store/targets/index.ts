import { loadNamed } from '../../lib/child.ts';
import type { StoreTarget } from '../target.ts';

/** The contenders' client sides by name, loaded lazily so each child holds only its own. */
export const targets: Record<string, () => Promise<StoreTarget>> = {
  redis: async () => (await import('./redis.ts')).redis,
  etcd: async () => (await import('./etcd.ts')).etcd,
  'micro-cp': async () => (await import('./micro.ts')).microStore('micro'),
  'micro-redis': async () => (await import('./micro.ts')).microStore('redis'),
  'micro-etcd': async () => (await import('./micro.ts')).microStore('etcd'),
  dapr: async () => (await import('./dapr.ts')).dapr,
};

/** The target called name, or an error listing the known ones. */
export const loadTarget = (name: string | undefined): Promise<StoreTarget> =>
  loadNamed(targets, name);
