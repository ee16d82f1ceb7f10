// The control plane as tests run it in their own process: a free port, a throwaway data directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from '../../src/controlplane/index.ts';
import { quiet } from './fixtures.ts';
import type { RunningServer } from './server-process.ts';

/** How a test's control plane runs besides its port and folder. */
export interface TestControlPlaneOptions {
  /** Enforce auth (as `micro run --auth`); the admin secret made on start is returned. */
  auth?: boolean;
  /** Run the runtime service too, supervising `micro __exec <file>` with this Node. */
  supervise?: boolean;
  /** Environment over this process's for the control plane (and its services). */
  env?: Record<string, string>;
}

/** A test's control plane. */
export interface TestControlPlane extends RunningServer {
  /** Its data folder (micro.db, logs/). */
  dataDir: string;
  /** With auth on: the `admin` account's secret, made on this start. */
  adminSecret?: string;
  /** Where each of its services listens, by name (`store` -> `127.0.0.1:port`). */
  services: Record<string, string>;
  controlPlane: ControlPlane;
}

const bin = fileURLToPath(new URL('../../bin/micro.ts', import.meta.url));

/** Starts a silent control plane on 127.0.0.1 with its data in a new `<prefix>*` folder; stop() removes it. */
export async function startTestControlPlane(
  prefix = 'micro-cp-',
  options: TestControlPlaneOptions = {},
): Promise<TestControlPlane> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const cp = await startControlPlane({
    address: '127.0.0.1:0',
    dataDir,
    logger: quiet,
    ...(options.auth && { auth: true }),
    ...(options.supervise && { supervise: { command: process.execPath, args: [bin] } }),
    ...(options.env && { env: options.env }),
  }).catch(async (err: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  return {
    address: cp.address,
    dataDir,
    ...(cp.adminSecret !== undefined && { adminSecret: cp.adminSecret }),
    // `auth 127.0.0.1:1234 (on: ...)`: the address alone.
    services: Object.fromEntries(cp.listening().map(([name, at]) => [name, at.split(' ')[0]!])),
    controlPlane: cp,
    async stop() {
      await cp.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs `body` as it is to the control plane's Registry `endpoint`, as any HTTP client could. */
export function postToRegistry(
  address: string,
  endpoint: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`http://${address}/`, {
    method: 'POST',
    headers: {
      'micro-service': 'registry',
      'micro-endpoint': endpoint,
      'content-type': 'application/json',
      ...headers,
    },
    body,
  });
}
