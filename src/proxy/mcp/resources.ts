// `micro mcp`'s read-only resources (issue 21 point 2): the services and their schemas from the
// catalog (the registry, watched), and a service's recent traces, its recent log lines and config
// paths, read through the platform's own clients (src/platform/trace, logs, config) over the
// given Client, each read carrying the caller's token as `authorization` so that the control
// plane's rules decide. URIs: resource-uri.ts.
//
// Guarantees: nothing is changed by a read. With a verifier (auth on) a read needs a token; the
// services listed and read are those the caller may read in the registry (`registry:<name>:read`);
// a refusal, here or by the service read, is a MicroError 403; a read whose platform service is
// not running (the control plane down) is a 503 saying so. Limits: an answer holds at most
// `maxItems` items (services, traces, lines) and `maxBytes` bytes of JSON (default 256 KiB),
// keeping whole items and saying `truncated: true`; the listing names at most 500 services.
// onChange fires, at most once per 100 ms, when services came or went (not on node churn).
import { compareNatural } from '../../registry/listing.ts';
import type { Registry, Service } from '../../registry/registry.ts';
import { isTopic } from '../../registry/topics.ts';
import type { Client } from '../../runtime/client/client.ts';
import {
  forbidden,
  MicroError,
  notFound,
  serviceUnavailable,
  toMicroError,
} from '../../runtime/errors.ts';
import type { Resource } from '../../platform/auth/auth.ts';
import { createMicroConfig } from '../../platform/config/client.ts';
import { createMicroLogs } from '../../platform/logs/client.ts';
import { createMicroTrace } from '../../platform/trace/client.ts';
import type { EdgeVerifier } from '../auth/edge.ts';
import { createCatalog, type Catalog } from '../catalog.ts';
import type {
  McpCaller,
  McpResource,
  McpResourceContent,
  McpResourceTemplate,
  McpResources,
} from './mcp.ts';
import {
  boundedJson,
  parseResourceUri,
  RESOURCES_ID,
  segment,
  type ResourceRef,
} from './resource-uri.ts';
import { withToken } from './token-client.ts';

/** What createMcpResources is given: a catalog (shared with the core) or a registry to watch. */
export interface McpResourcesOptions {
  /** The catalog the tools come from; or give `registry` and one is made (and closed by close). */
  catalog?: Catalog;
  registry?: Registry;
  /** The client reads go through (the edge's own): the caller's token is added to each call. */
  client: Client;
  /** Given when auth is on: reads need a token, and the registry's rules filter the services. */
  verifier?: EdgeVerifier;
  /** Items an answer holds at most (default 100; the service list 1000). */
  maxItems?: number;
  /** Bytes of an answer's JSON at most (default 256 KiB). */
  maxBytes?: number;
  /**
   * Whether an endpoint is exposed as a tool (the core's exposure): given, the services resources
   * show only exposed endpoints, and only services with one, so that they reveal nothing the
   * allow/deny lists, `mcp: 'false'` and the hidden platform services keep from agents.
   */
  exposed?: (service: string, endpoint: string) => boolean;
}

/** The resources, and close (which stops the catalog made here, if any). */
export interface McpResourcesHandle extends McpResources {
  close(): void;
}

const JSON_TYPE = 'application/json';
// The id of the client's own errors: its 404 is a service the registry does not hold.
const CLIENT_ID = 'micro.client';
const LISTED = 500;
const TICK = 100;

const TEMPLATES: McpResourceTemplate[] = [
  ['micro://services/{name}', 'service', "A service's versions, endpoints and their schemas"],
  ['micro://traces/{service}', 'traces', 'Recent traces a service took part in, newest first'],
  ['micro://logs/{service}', 'logs', "A service's recent log lines, oldest first"],
  ['micro://config/{namespace}', 'config', "A config namespace's tree (read-only)"],
  ['micro://config/{namespace}/{path}', 'config-path', 'The config value at a dot path'],
].map(([uriTemplate, name, description]) => ({
  uriTemplate: uriTemplate!,
  name: name!,
  description: description!,
  mimeType: JSON_TYPE,
}));

/** The resources over a catalog and the platform's clients. */
export function createMcpResources(options: McpResourcesOptions): McpResourcesHandle {
  const own = options.catalog ? undefined : options.registry;
  if (!options.catalog && !own)
    throw new TypeError('createMcpResources needs a catalog or a registry');
  const catalog = options.catalog ?? createCatalog({ registry: own! });
  const maxItems = options.maxItems ?? 100;
  const maxBytes = options.maxBytes ?? 256 * 1024;
  const { verifier } = options;

  /** Throws a 403 when auth is on and the caller gave no token. */
  const signedIn = (who: McpCaller): void => {
    if (verifier && who.token === undefined)
      throw forbidden(RESOURCES_ID, 'reading resources needs a token when auth is on');
  };
  /** Throws a 403 unless the caller may do this (no-op with auth off). */
  const allow = (who: McpCaller, resource: Resource): void => {
    if (!verifier) return;
    signedIn(who);
    try {
      verifier.authorize(who.caller, resource);
    } catch (err) {
      throw refusal(err);
    }
  };
  const mayRead = (who: McpCaller, name: string): boolean => {
    try {
      allow(who, { kind: 'registry', name, action: 'read' });
      return true;
    } catch {
      return false;
    }
  };
  const { exposed } = options;
  /** A service version with only its exposed endpoints (all of them when no exposure is given). */
  const shown = (s: Service): Service =>
    exposed ? { ...s, endpoints: s.endpoints.filter((e) => exposed(s.name, e.name)) } : s;
  const visible = (name: string): boolean =>
    !exposed ||
    (catalog.get(name) ?? []).some((s) => s.endpoints.some((e) => exposed(name, e.name)));
  const names = (): string[] =>
    [...new Set(catalog.all().map((s) => s.name))]
      .filter((n) => !isTopic(n) && visible(n))
      .sort(compareNatural);
  const versionsOf = (name: string): Service[] => {
    // From memory (the watch keeps it current): an unknown name costs the registry nothing.
    const found = isTopic(name) || !visible(name) ? undefined : catalog.get(name);
    if (!found || found.length === 0)
      throw notFound(RESOURCES_ID, `no service ${name} is registered with endpoints exposed here`);
    return [...found].map(shown).sort((a, b) => compareNatural(a.version, b.version));
  };
  /**
   * A read from the control plane's `service` with the caller's token; refusals (401, 403) are
   * 403s, and the service not found (the control plane is down, or does not host it) a 503.
   */
  const reading = async <T>(
    who: McpCaller,
    service: string,
    read: (client: Client) => Promise<T>,
  ): Promise<T> => {
    try {
      return await read(withToken(options.client, who.token));
    } catch (err) {
      const e = toMicroError(err, RESOURCES_ID);
      if (e.code === 401 || e.code === 403) throw refusal(e);
      if (e.code === 404 && e.id === CLIENT_ID)
        throw serviceUnavailable(
          RESOURCES_ID,
          `the control plane's ${service} service is not running, so this resource cannot be read now (${e.detail})`,
        );
      throw e;
    }
  };

  const read = async (ref: ResourceRef, who: McpCaller): Promise<string> => {
    switch (ref.kind) {
      case 'services': {
        signedIn(who);
        const list = names()
          .filter((n) => mayRead(who, n))
          .map((name) => {
            const versions = (catalog.get(name) ?? []).map(shown);
            const endpoints = new Set(versions.flatMap((v) => v.endpoints.map((e) => e.name)));
            return {
              name,
              versions: versions.map((v) => v.version).sort(compareNatural),
              endpoints: [...endpoints].sort(compareNatural),
              nodes: versions.reduce((n, v) => n + v.nodes.length, 0),
            };
          });
        return boundedJson({}, 'services', list, Math.max(maxItems, 1000), maxBytes);
      }
      case 'service': {
        allow(who, { kind: 'registry', name: ref.name, action: 'read' });
        const versions = versionsOf(ref.name).map((v) => ({
          version: v.version,
          metadata: v.metadata,
          nodes: v.nodes.length,
          endpoints: v.endpoints,
        }));
        return boundedJson({ name: ref.name }, 'versions', versions, maxItems, maxBytes);
      }
      case 'traces': {
        allow(who, { kind: 'service', name: 'trace', action: 'Trace.List' });
        const traces = await reading(who, 'trace', (client) =>
          createMicroTrace({ client }).list({
            service: ref.service,
            limit: Math.min(maxItems + 1, 500),
          }),
        );
        return boundedJson({ service: ref.service }, 'traces', traces, maxItems, maxBytes);
      }
      case 'logs': {
        allow(who, { kind: 'service', name: 'logs', action: 'Log.Read' });
        const lines = await reading(who, 'logs', (client) =>
          createMicroLogs({ client }).read({
            service: ref.service,
            limit: Math.min(maxItems + 1, 1000),
          }),
        );
        return boundedJson({ service: ref.service }, 'records', lines, maxItems, maxBytes, true);
      }
      case 'config': {
        const { namespace, path } = ref;
        allow(who, { kind: 'config', name: `${namespace}/${path}`, action: 'read' });
        const got = await reading(who, 'config', (client) =>
          createMicroConfig({ client }).get(path, { namespace }),
        );
        if (got.version === 0 || got.value === undefined)
          throw notFound(
            RESOURCES_ID,
            got.version === 0
              ? `config namespace ${namespace} has no tree`
              : `config ${namespace} has nothing at ${path}`,
          );
        const text = JSON.stringify({ namespace, path, version: got.version, value: got.value });
        if (Buffer.byteLength(text) <= maxBytes) return text;
        return JSON.stringify({
          namespace,
          path,
          version: got.version,
          truncated: true,
          detail: `the value is larger than ${maxBytes} bytes as JSON: read a deeper path`,
        });
      }
    }
  };

  const listeners = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;
  let seen = { generation: catalog.generation, names: names().join('\n') };
  // What the first read finds is no change: no list is served before it.
  let settled = false;
  void catalog.ready.then(() => {
    settled = true;
    seen = { generation: catalog.generation, names: names().join('\n') };
  });
  const tick = (): void => {
    if (!settled || catalog.generation === seen.generation) return;
    const now = { generation: catalog.generation, names: names().join('\n') };
    const changed = now.names !== seen.names;
    seen = now;
    if (changed) for (const l of [...listeners]) l();
  };

  return {
    async list(who) {
      await catalog.ready;
      const services: McpResource = {
        uri: 'micro://services',
        name: 'services',
        title: 'Services',
        description: 'Every service: versions, endpoints, nodes',
        mimeType: JSON_TYPE,
      };
      const each = names()
        .filter((n) => mayRead(who, n))
        .slice(0, LISTED)
        .map((name) => ({
          uri: `micro://services/${segment(name)}`,
          name: `service ${name}`.slice(0, 300),
          description: `${name}: versions, endpoints and their schemas`.slice(0, 300),
          mimeType: JSON_TYPE,
        }));
      return [services, ...each];
    },
    templates: () => TEMPLATES.map((t) => ({ ...t })),
    async read(uri, who) {
      const ref = parseResourceUri(uri);
      await catalog.ready;
      return [
        { uri, mimeType: JSON_TYPE, text: await read(ref, who) },
      ] satisfies McpResourceContent[];
    },
    onChange(listener) {
      listeners.add(listener);
      if (!timer) {
        seen = { generation: catalog.generation, names: names().join('\n') };
        timer = setInterval(tick, TICK);
        timer.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    close() {
      clearInterval(timer);
      timer = undefined;
      listeners.clear();
      if (own) catalog.close();
    },
  };
}

/** A refusal as the resources say it: a 403 keeping the detail (never a token). */
function refusal(err: unknown): MicroError {
  const e = toMicroError(err, RESOURCES_ID);
  return forbidden(RESOURCES_ID, e.detail);
}
