import type { Filter } from '../runtime/selector/selector.ts';

const parts = (v: string): string[] => v.replace(/^[vV]/, '').split('.');

/**
 * True when a service version satisfies a spec: the same string, or the spec's dotted parts
 * (`v1`, `1`, `1.2`, `v1.2.3`) equal the version's leading parts (`1.4.0` matches `v1` and `1`).
 */
export function matchVersion(spec: string, version: string): boolean {
  if (spec === version) return true;
  const want = parts(spec);
  const have = parts(version);
  if (want.length > have.length || want.some((p) => p === '')) return false;
  return want.every((p, i) => p === have[i]);
}

/** A selector filter keeping the service versions that satisfy the spec. */
export const versionFilter =
  (spec: string): Filter =>
  (services) =>
    services.filter((s) => matchVersion(spec, s.version));
