// Commands trust the CA of `micro run --tls` in their data dir, so `micro call` reaches TLS services.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Arguments } from 'yargs';

/**
 * When MICRO_TLS_CA is unset and the data dir holds a CA, trusts it (MICRO_TLS_CA) and presents the
 * `cli` certificate the control plane issued there (MICRO_TLS_CLIENT_CERT and _KEY), for mutual
 * TLS. Only client-side variables: no port of the command starts serving TLS because of them.
 */
export function trustDataDirCa(argv: Arguments): void {
  if (process.env.MICRO_TLS_CA || typeof argv.dataDir !== 'string') return;
  const dir = join(argv.dataDir, 'tls');
  const ca = join(dir, 'ca.crt');
  if (!existsSync(ca)) return;
  process.env.MICRO_TLS_CA = ca;
  const cert = join(dir, 'services', 'cli.crt');
  const key = join(dir, 'services', 'cli.key');
  if (!process.env.MICRO_TLS_CLIENT_CERT && existsSync(cert) && existsSync(key)) {
    process.env.MICRO_TLS_CLIENT_CERT = cert;
    process.env.MICRO_TLS_CLIENT_KEY = key;
  }
}
