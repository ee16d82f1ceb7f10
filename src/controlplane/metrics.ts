// The control plane's own figures, added to the `/metrics` of its port (the registry service's):
// the registry's size (service names, versions, nodes), its watchers (Registry.Watch streams open)
// and the size of micro.db on disk. Read on scrape: the registry is listed once per scrape.
import { statSync } from 'node:fs';
import type { Registry } from '../registry/registry.ts';
import type { ServiceMetrics } from '../platform/metrics/enable.ts';
import { computedMetric } from '../platform/metrics/registry.ts';

/** Bytes of a file and its SQLite write-ahead log, 0 for those missing. */
function fileBytes(path: string): number {
  let bytes = 0;
  for (const p of [path, `${path}-wal`]) {
    try {
      bytes += statSync(p).size;
    } catch {
      // Not there (memory databases, a registry of another engine).
    }
  }
  return bytes;
}

/** Adds the control plane's figures to the registry service's metrics. */
export function addPlaneMetrics(metrics: ServiceMetrics, registry: Registry, dbPath: string): void {
  // One listing serves the three gauges of a scrape (they are read within the same moment).
  let listing:
    { at: number; size: Promise<{ names: number; versions: number; nodes: number }> } | undefined;
  const size = () => {
    if (listing && Date.now() - listing.at < 1000) return listing.size;
    const made = registry.listServices().then((services) => ({
      names: new Set(services.map((s) => s.name)).size,
      versions: services.length,
      nodes: services.reduce((n, s) => n + s.nodes.length, 0),
    }));
    listing = { at: Date.now(), size: made };
    return made;
  };
  const r = metrics.registry;
  r.registerMetric(
    computedMetric('micro_registry_services', 'Service names registered.', 'gauge', async () => [
      { value: (await size()).names, labels: {} },
    ]),
  );
  r.registerMetric(
    computedMetric('micro_registry_versions', 'Service versions registered.', 'gauge', async () => [
      { value: (await size()).versions, labels: {} },
    ]),
  );
  r.registerMetric(
    computedMetric('micro_registry_nodes', 'Nodes registered.', 'gauge', async () => [
      { value: (await size()).nodes, labels: {} },
    ]),
  );
  r.registerMetric(
    computedMetric('micro_registry_watchers', 'Registry watches open.', 'gauge', () => [
      {
        value: metrics.counts
          .tallies()
          .filter((t) => t.endpoint === 'Registry.Watch')
          .reduce((n, t) => n + t.inflight, 0),
        labels: {},
      },
    ]),
  );
  r.registerMetric(
    computedMetric(
      'micro_controlplane_db_bytes',
      'Size of the control plane database (micro.db and its write-ahead log) on disk.',
      'gauge',
      () => [{ value: fileBytes(dbPath), labels: {} }],
    ),
  );
}
