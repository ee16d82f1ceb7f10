// The registry nodes of a supervised process, told apart by the pid in their metadata.
import type { Node, Registry } from '../registry/registry.ts';

/** One node a process registered, with its service and version. */
export interface Registration {
  name: string;
  version: string;
  node: Node;
}

/** The key of a registration: its service, version and node id. */
export const registrationKey = (r: Registration): string =>
  JSON.stringify([r.name, r.version, r.node.id]);

/** The nodes in the registry that carry the pid; none when the registry does not answer. */
export async function nodesOfPid(
  registry: Registry | undefined,
  pid: number | undefined,
): Promise<Registration[]> {
  if (!registry || pid === undefined) return [];
  try {
    return (await registry.listServices()).flatMap((s) =>
      s.nodes
        .filter((node) => node.metadata.pid === String(pid))
        .map((node) => ({ name: s.name, version: s.version, node })),
    );
  } catch {
    return [];
  }
}

/**
 * Deregisters the nodes a dead process left: those seen, and any other carrying its pid
 * (registered before the watch was in place). Another host's process with the same pid in a shared
 * registry would lose its node until its next heartbeat (10 s by default) puts it back.
 */
export async function deregisterLeft(
  registry: Registry | undefined,
  seen: Registration[],
  pid: number | undefined,
): Promise<void> {
  if (!registry) return;
  const nodes = new Map<string, Registration>();
  for (const r of [...seen, ...(await nodesOfPid(registry, pid))]) nodes.set(registrationKey(r), r);
  await Promise.all(
    [...nodes.values()].map(({ name, version, node }) =>
      registry
        .deregister({ name, version, metadata: {}, endpoints: [], nodes: [node] })
        .catch(() => undefined),
    ),
  );
}
