/**
 * TLS of a control plane started with `micro run --tls`: the CA in `<dataDir>/tls`, a certificate
 * for the control plane's own services and clients (`micro`), and one issued to each supervised
 * service at its start, given as MICRO_TLS_CERT, MICRO_TLS_KEY and MICRO_TLS_CA (and
 * MICRO_TLS_MUTUAL=on with --mtls). Certificates name loopback, this host's name and the hosts in
 * MICRO_TLS_HOSTS (comma separated).
 */
import { hostname } from 'node:os';
import type { ClientTlsOptions, ServerTlsOptions } from '../runtime/transport/transport.ts';

/** What the control plane needs to run with TLS. */
export interface ControlPlaneTls {
  /** Where the CA's certificate is. */
  caPath: string;
  /** The control plane's services' TLS (the registry port excepted). */
  server: ServerTlsOptions;
  /** Its clients' TLS: the CA, and its certificate for mutual TLS. */
  client: ClientTlsOptions;
  /** MICRO_TLS_* for clients in the control plane's process (the gateway, the dashboard). */
  env: Record<string, string>;
  /** Issues a supervised service its certificate; resolves to the variables its runs get. */
  issue: (name: string) => Promise<Record<string, string>>;
}

/** The hosts certificates name besides loopback: this host, and MICRO_TLS_HOSTS. */
function extraHosts(env: NodeJS.ProcessEnv): string[] {
  const given = (env.MICRO_TLS_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  return [...new Set([hostname(), ...given])];
}

/** Opens (or creates) the CA and issues the control plane's own certificate. */
export async function controlPlaneTls(
  dataDir: string,
  mutual: boolean,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ControlPlaneTls> {
  const { openCertificateAuthority } = await import('../platform/auth/ca.ts');
  const ca = await openCertificateAuthority(dataDir);
  const hosts = extraHosts(env);
  const own = await ca.issue('micro', hosts);
  // The commands' certificate, which they find in the data dir (src/commands/shared/tls-trust.ts).
  await ca.issue('cli');
  const vars = (cert: string, key: string): Record<string, string> => ({
    MICRO_TLS_CERT: cert,
    MICRO_TLS_KEY: key,
    MICRO_TLS_CA: ca.certPath,
    ...(mutual ? { MICRO_TLS_MUTUAL: 'on' } : {}),
  });
  return {
    caPath: ca.certPath,
    server: { key: own.key, cert: own.cert, ca: own.ca, mutual },
    client: { ca: own.ca, cert: own.cert, key: own.key },
    env: vars(own.certPath, own.keyPath),
    async issue(name) {
      const issued = await ca.issue(name, hosts);
      return vars(issued.certPath, issued.keyPath);
    },
  };
}
