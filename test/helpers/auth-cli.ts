// A control plane enforcing auth, and the CLI run against it with its own credentials folder: what
// the auth command tests and the explorer's auth test share.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../src/controlplane/index.ts';
import type { StoredCredential } from '../../src/commands/shared/credentials.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { createClient, type Client, type Registry } from '../../src/runtime/index.ts';
import { micro, type Run } from './cli.ts';
import { closeAll, quiet } from './fixtures.ts';

/** The control plane, the admin's secret, and micro run as a user with a credentials folder. */
export interface AuthBench {
  cp: ControlPlane;
  /** The bootstrap admin's secret. */
  secret: string;
  /** A throwaway folder for this bench (the control plane's data and credentials folders). */
  dataDir: string;
  /** MICRO_CONFIG_DIR of run(). */
  configDir: string;
  /** The credentials file in configDir. */
  file: string;
  /** An anonymous client of the control plane (it may call the token endpoint). */
  client: Client;
  /** The credentials file's entries. */
  stored(dir?: string): Record<string, StoredCredential>;
  /** micro with the control plane's address, MICRO_CONFIG_DIR=configDir and env. */
  run(args: string[], input?: string, env?: Record<string, string>): Promise<Run>;
  /** Logs in as admin (asserting it worked). */
  login(): Promise<void>;
  stop(): Promise<void>;
}

/** Asserts that nothing the run printed holds one of these tokens or secrets. */
export function assertClean(r: Run, ...secrets: string[]): void {
  for (const s of secrets) {
    assert.ok(!r.stdout.includes(s), `stdout shows a secret:\n${r.stdout}`);
    assert.ok(!r.stderr.includes(s), `stderr shows a secret:\n${r.stderr}`);
  }
}

/** Starts a control plane with auth on (its first start: an admin account and its secret). */
export async function startAuthBench(prefix = 'micro-auth-cli-'): Promise<AuthBench> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const configDir = join(dataDir, 'config');
  const cp = await startControlPlane({
    address: '127.0.0.1:0',
    dataDir,
    logger: quiet,
    auth: true,
  });
  assert.ok(cp.adminSecret, 'the first start with auth on makes an admin secret');
  const secret = cp.adminSecret;
  const registry: Registry = createMicroRegistry({ address: cp.address });
  const client = createClient({ registry });
  const run = (args: string[], input?: string, env: Record<string, string> = {}): Promise<Run> =>
    micro([...args, '--registry-address', cp.address], {
      input,
      env: { MICRO_CONFIG_DIR: configDir, ...env },
    });
  return {
    cp,
    secret,
    dataDir,
    configDir,
    file: join(configDir, 'credentials.json'),
    client,
    stored: (dir = configDir) =>
      JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8')) as Record<
        string,
        StoredCredential
      >,
    run,
    async login() {
      const r = await run(['login', '--id', 'admin', '--secret-stdin'], `${secret}\n`);
      assert.equal(r.code, 0, r.stderr);
    },
    async stop() {
      await closeAll(client, registry, cp);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
