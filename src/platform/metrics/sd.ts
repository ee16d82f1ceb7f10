// Prometheus HTTP service discovery (http_sd): every node of every service registered with a tcp
// transport, as one target each with labels service, version and node, so that one
// `http_sd_configs` entry pointing at the control plane's `/prometheus/sd` scrapes the whole fleet
// (each node's `GET /metrics`). Nodes serving TLS get `__scheme__: https` (Prometheus then needs
// the CA in its tls_config). Nodes on other transports (nats, memory) have no port to scrape and
// are left out. Read from the registry on each request (Prometheus asks once a minute by default).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from '../../registry/registry.ts';
import { MicroError, methodNotAllowed } from '../../runtime/errors.ts';
import { answerError } from './registry.ts';

/** The path of the discovery document on the control plane's port. */
export const SD_PATH = '/prometheus/sd';

/** One target group of Prometheus' http_sd format. */
export interface SdTarget {
  /** `host:port` of the node. */
  targets: string[];
  /** service, version, node; `__scheme__: https` for a node serving TLS. */
  labels: Record<string, string>;
}

/** One target per node with a tcp transport, sorted by service, version and node. */
export async function prometheusTargets(registry: Registry): Promise<SdTarget[]> {
  const out: SdTarget[] = [];
  for (const s of await registry.listServices()) {
    for (const n of s.nodes) {
      if (n.metadata.transport !== 'tcp' || !/:\d+$/.test(n.address)) continue;
      out.push({
        targets: [n.address],
        labels: {
          service: s.name,
          version: s.version,
          node: n.id,
          ...(n.metadata.tls === 'on' && { __scheme__: 'https' }),
        },
      });
    }
  }
  const key = (t: SdTarget): string => `${t.labels.service} ${t.labels.version} ${t.labels.node}`;
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Answers `GET /prometheus/sd` with the targets of the registry as JSON; other methods get 405. */
export function sdRoute(registry: Registry): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return answerError(
        res,
        methodNotAllowed('micro.metrics', `${req.method ?? ''} is not supported: GET ${SD_PATH}`),
        { allow: 'GET, HEAD' },
      );
    prometheusTargets(registry).then(
      (targets) => {
        const body = JSON.stringify(targets);
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'cache-control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) =>
        answerError(
          res,
          new MicroError('micro.metrics', 503, `the registry failed: ${(err as Error).message}`),
        ),
    );
  };
}
