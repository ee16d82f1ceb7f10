// The fleet the registry benchmark registers: services of nodes as createService records them, and
// which services the watches filter on.
import type { Endpoint, Service } from '../../src/registry/registry.ts';
import type { Config } from './settings.ts';

// What a node of a typical service registers: the record createService builds (see
// src/runtime/server/rpc-server.ts), with three endpoints that have JSON schemas.
export const ENDPOINTS = ['Hello', 'Stream', 'Goodbye'].map((e): Endpoint => ({
  name: `Say.${e}`,
  request: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  response: { type: 'object', properties: { msg: { type: 'string' } } },
  metadata: e === 'Stream' ? { stream: 'server' } : {},
}));
/** The name of service number s. */
export const serviceName = (s: number): string => `svc-${String(s).padStart(4, '0')}`;

/** The metadata createService gives a node on port (its pid stands in as the port). */
export const nodeMetadata = (port: number): Record<string, string> => ({
  transport: 'tcp',
  broker: 'http',
  registry: 'micro',
  protocol: 'micro-frame/1',
  'content-types': 'application/json,application/msgpack',
  pid: String(port),
});

/** The record of node id of service number s, on port; extra adds to its metadata. */
export function record(
  s: number,
  id: string,
  port: number,
  extra: Record<string, string> = {},
): Service {
  return {
    name: serviceName(s),
    version: '1.0.0',
    metadata: {},
    endpoints: ENDPOINTS,
    nodes: [
      {
        id,
        address: `127.0.0.1:${port}`,
        metadata: { ...nodeMetadata(port), ...extra },
      },
    ],
  };
}

/** Registration i: service i mod S, so the first pass creates every service and later ones add nodes. */
export function fleet(cfg: Config): Service[] {
  const all: Service[] = [];
  for (let i = 0; i < cfg.services * cfg.nodes; i++) {
    const s = i % cfg.services;
    const n = Math.floor(i / cfg.services);
    all.push(
      record(s, `${serviceName(s)}-${n}-${(i * 2654435761) % 4294967296}`, 10_000 + (i % 50_000)),
    );
  }
  return all;
}

/** Which watches to open, and the services that have filtered ones. */
export interface WatchPlan {
  filters: (string | null)[];
  watched: string[];
}

/** The watches' filters: `unfiltered` nulls, the rest two to a service, spread over the services. */
export function watchPlan(cfg: Config): WatchPlan {
  const filtered = cfg.watchers - cfg.unfiltered;
  const distinct = Math.ceil(filtered / 2);
  const watched = Array.from({ length: distinct }, (_, j) =>
    serviceName(Math.floor((j * cfg.services) / distinct)),
  );
  const filters: (string | null)[] = [];
  for (let j = 0; j < filtered; j++) filters.push(watched[j % distinct]!);
  for (let j = 0; j < cfg.unfiltered; j++) filters.push(null);
  return { filters, watched };
}
