// The control plane as tests run it in their own process: a free port, a throwaway data directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../../src/controlplane/index.ts';
import { quiet } from './fixtures.ts';
import type { RunningServer } from './server-process.ts';

/** Starts a silent control plane on 127.0.0.1 with its data in a new `<prefix>*` folder; stop() removes it. */
export async function startTestControlPlane(prefix = 'micro-cp-'): Promise<RunningServer> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const cp = await startControlPlane({ address: '127.0.0.1:0', dataDir, logger: quiet }).catch(
    async (err: unknown) => {
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    },
  );
  return {
    address: cp.address,
    async stop() {
      await cp.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs `body` as it is to the control plane's Registry `endpoint`, as any HTTP client could. */
export function postToRegistry(address: string, endpoint: string, body: string): Promise<Response> {
  return fetch(`http://${address}/`, {
    method: 'POST',
    headers: {
      'micro-service': 'registry',
      'micro-endpoint': endpoint,
      'content-type': 'application/json',
    },
    body,
  });
}
