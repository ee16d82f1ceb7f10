// A remote watcher's own picture of the service versions, shared by the etcd and NATS registries.
import type { Node, Service, WatchEvent } from './registry.ts';
import { copyService, versionKey } from './util.ts';

interface Version {
  service: Omit<Service, 'nodes'>;
  nodes: Map<string, Node>;
}

/**
 * One remote watcher's picture of the registered versions (etcd, nats): tells create from update,
 * drops heartbeats that change nothing, and reports a version whose last node went as deleted.
 */
export class Picture {
  readonly #versions = new Map<string, Version>();
  readonly #report: (e: WatchEvent) => void;

  /** report: where the changes go. */
  constructor(report: (e: WatchEvent) => void) {
    this.#report = report;
  }

  /** Takes in a version's nodes; reports a create or an update if it changed something and `report`. */
  put(s: Service, report = true): void {
    const { nodes, ...service } = copyService(s);
    const key = versionKey(service.name, service.version);
    let v = this.#versions.get(key);
    if (!v && nodes.length === 0) return;
    const created = !v;
    let changed = !v || JSON.stringify(v.service) !== JSON.stringify(service);
    if (!v) this.#versions.set(key, (v = { service, nodes: new Map() }));
    v.service = service;
    for (const node of nodes) {
      const prev = v.nodes.get(node.id);
      if (!prev || JSON.stringify(prev) !== JSON.stringify(node)) changed = true;
      v.nodes.set(node.id, node);
    }
    if (report && changed)
      this.#report({
        action: created ? 'create' : 'update',
        service: show(v.service, v.nodes.values()),
      });
  }

  /** Removes nodes of a version: reports an update, or a delete with the nodes gone when none is left. */
  remove(name: string, version: string, ids: string[]): void {
    const key = versionKey(name, version);
    const v = this.#versions.get(key);
    if (!v) return;
    const gone = ids.flatMap((id) => {
      const node = v.nodes.get(id);
      if (!node) return [];
      v.nodes.delete(id);
      return [node];
    });
    if (gone.length === 0) return;
    if (v.nodes.size > 0)
      return this.#report({ action: 'update', service: show(v.service, v.nodes.values()) });
    this.#versions.delete(key);
    this.#report({ action: 'delete', service: show(v.service, gone) });
  }

  /** Forgets every version. */
  clear(): void {
    this.#versions.clear();
  }
}

const show = (service: Omit<Service, 'nodes'>, nodes: Iterable<Node>): Service =>
  copyService({ ...service, nodes: [...nodes] });
