// PLACEHOLDER: the config area's table of implementations and a service's config; replaced by the area's implementation.
import type { Service } from '../../runtime/service.ts';
import type { Config } from './config.ts';

/** What a service says of its config: defaults in code, a file, a schema. */
export interface ServiceConfigOptions {
  /** Values used when no other source has them. */
  defaults?: Record<string, unknown>;
  /** A JSON file merged over the defaults (default MICRO_CONFIG_FILE). */
  file?: string;
}

/** A service's merged configuration, updated in place. */
export interface ServiceConfig {
  /** The value at a dot path of the merged tree. */
  get<T = unknown>(path: string, fallback?: T): T;
  close(): Promise<void>;
}

/** The config of a service: its sources merged, watched. */
export function configFor(
  _service: Service,
  _options?: ServiceConfigOptions & { source?: Config },
): ServiceConfig {
  throw new Error('config is not built yet');
}
