// The already-running client of the CLI benchmark's start rounds: a registry watch on the greeter
// being started, and a client that calls it the way any client does (through its selector).
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient } from '../../src/runtime/index.ts';

/** The already-running client: a registry watch on the started service, and a client to call it. */
export interface StartClient {
  /** Resolves with the time the watch reports a node it has not seen before, and that node's PID. */
  nextNode(ms: number): Promise<{ at: number; pid: number }>;
  call(): Promise<unknown>;
  close(): Promise<void>;
}

/** Watches and calls service on the control plane at address; reports every node registered after it resolves. */
export async function startClient(address: string, service: string): Promise<StartClient> {
  const registry = createMicroRegistry({ address });
  const client = createClient({ registry });
  const watcher = registry.watch({ service });
  const seen = new Set<string>();
  const fresh: { at: number; pid: number }[] = [];
  let waiting: (() => void) | undefined;
  void (async () => {
    for await (const ev of watcher) {
      if (ev.action === 'delete') continue;
      const at = performance.now();
      for (const n of ev.service.nodes) {
        if (seen.has(n.id)) continue;
        seen.add(n.id);
        fresh.push({ at, pid: Number(n.metadata.pid) });
        waiting?.();
      }
    }
  })();
  // A deregister waits until the watch is in place on the server (the client's ready mark), and
  // removes nothing here: from then on, every registration of the service reaches this watch.
  await registry.deregister({
    name: service,
    version: '-',
    metadata: {},
    endpoints: [],
    nodes: [],
  });
  return {
    // Starts are one at a time, and each is stopped (deregistered) before the next: a node not
    // seen before is the one just started.
    nextNode: (ms) =>
      new Promise((resolve, reject) => {
        const take = (): boolean => {
          const next = fresh.shift();
          if (!next) return false;
          clearTimeout(timer);
          waiting = undefined;
          resolve(next);
          return true;
        };
        const timer = setTimeout(() => {
          waiting = undefined;
          reject(new Error(`the watch reported no new node of ${service} within ${ms} ms`));
        }, ms);
        if (!take()) waiting = take;
      }),
    call: () => client.call(service, 'Say.Hello', { name: 'Ann' }, { timeout: 2000 }),
    async close() {
      watcher.stop();
      await client.close();
      await registry.close();
    },
  };
}
