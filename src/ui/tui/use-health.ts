// Debug.Health on every node of a service, called by address, refreshed while the view is open.
import { useEffect, useState } from 'react';
import { toMicroError, type Client, type RegistryService } from '../../runtime/index.ts';

/** What one node answered to Debug.Health. */
export interface NodeHealth {
  /** `ok`, what the node reported, `failed`, or `checking` before the first answer. */
  status: string;
  ms?: number;
  detail?: string;
}

/** Milliseconds one node has to answer. */
const TIMEOUT_MS = 2000;
/** Milliseconds between checks. */
const EVERY_MS = 10_000;

/** Health of each node by node id; checked when the set of nodes changes and every 10 s. */
export function useHealth(client: Client, versions: RegistryService[]): Map<string, NodeHealth> {
  const [health, setHealth] = useState(() => new Map<string, NodeHealth>());
  const nodes = versions.flatMap((s) => s.nodes.map((n) => ({ service: s.name, node: n })));
  const key = nodes.map((n) => `${n.node.id}@${n.node.address}`).join(' ');
  useEffect(() => {
    let stopped = false;
    const check = (): void => {
      for (const { service, node } of nodes) {
        const start = performance.now();
        const ms = (): number => Math.round((performance.now() - start) * 10) / 10;
        const set = (h: NodeHealth): void => {
          if (!stopped) setHealth((m) => new Map(m).set(node.id, h));
        };
        client
          .call<{ status?: string }>(
            service,
            'Debug.Health',
            {},
            { node, timeout: TIMEOUT_MS, retries: 0 },
          )
          .then(
            (body) => set({ status: String(body?.status ?? 'unknown'), ms: ms() }),
            (err: unknown) => {
              const e = toMicroError(err, 'micro.cli');
              set({ status: 'failed', ms: ms(), detail: `${e.code} ${e.detail}` });
            },
          );
      }
    };
    check();
    const timer = setInterval(check, EVERY_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
    // key stands for the nodes: re-check only when they change.
  }, [client, key]);
  return health;
}
