/** The gateway's OpenAPI documents, kept built: one part per service, joined into what a request asks for. */
import { createHash, randomUUID } from 'node:crypto';
import type { Service } from '../registry/registry.ts';
import type { Catalog } from './catalog.ts';
import { compareNatural } from '../registry/listing.ts';
import {
  documentOf,
  documentedServices,
  serviceTags,
  servicePaths,
  type OpenApiOptions,
  type Operation,
} from './openapi.ts';

/** A document as sent: its JSON and its entity tag. */
export interface OpenApiBody {
  /** The document's JSON, UTF-8: built once, sent as it is to every reader. */
  body: Buffer;
  /** A strong ETag (quoted), the same for the same document on any gateway of the same version. */
  etag: string;
}

/** Which services a document covers. */
export type OpenApiScope = { service: string } | { prefix: string } | undefined;

/** The OpenAPI documents of a gateway, rebuilt as the catalog changes. */
export interface OpenApiCache {
  /**
   * The document of every service (undefined scope), of one, or of those whose name starts with a
   * prefix; with a namespace, names may leave it out. Undefined for a service not listed.
   */
  document(scope?: OpenApiScope): Promise<OpenApiBody | undefined>;
}

/** One service's share of the documents. */
interface Part {
  /** The records it was built from: the catalog keeps a record's object while it is unchanged. */
  sources: Service[];
  /** Its paths. */
  paths: string[];
  /** Its paths' JSON, `"path":{operations},...` without the braces around them, UTF-8. */
  json: Buffer;
  /** A hash of json. */
  hash: string;
  /** Its own document, once asked for. */
  own?: OpenApiBody;
}

/** Ms of building between two turns of the event loop. */
const SLICE_MS = 10;
/** Prefix documents kept, each until the catalog changes. */
const PREFIX_DOCUMENTS = 16;
/** Rounds of catching up with a catalog that changed meanwhile, before serving what is built. */
const ROUNDS = 4;

const hash = (data: string | Buffer): string => createHash('sha1').update(data).digest('base64url');
const COMMA = Buffer.from(',');
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
// The document's JSON is written around this, then it is replaced by the paths' own JSON; the
// random part keeps a service name (in the title or a tag) from ever spelling it.
const HOLE = JSON.stringify(`\u0000paths-${randomUUID()}`);

const sameSources = (a: Service[], b: Service[]): boolean =>
  a.length === b.length && a.every((s, i) => s === b[i]);

/**
 * Keeps the OpenAPI documents of the catalog's services. Nothing is built until a document is
 * asked for; then only the services whose records changed since the last build are redone, in
 * slices of about 10 ms between which the event loop runs. Requests that arrive meanwhile wait
 * for the same build: a burst of changes costs one rebuild.
 */
export function createOpenApiCache(catalog: Catalog, o: OpenApiOptions): OpenApiCache {
  const deny = new Set(o.deny);
  const parts = new Map<string, Part>();
  let names: string[] = [];
  let builtAt = -1;
  let building: Promise<void> | undefined;
  let whole: OpenApiBody | undefined;
  const prefixed = new Map<string, OpenApiBody>();

  // How many services list each path, and the paths more than one does (merged when joined).
  const owners = new Map<string, number>();
  const shared = new Set<string>();
  const count = (paths: string[], by: 1 | -1): void => {
    for (const path of paths) {
      const n = (owners.get(path) ?? 0) + by;
      if (n > 0) owners.set(path, n);
      else owners.delete(path);
      if (n > 1) shared.add(path);
      else shared.delete(path);
    }
  };

  const setPart = (name: string, part: Part | undefined): void => {
    const held = parts.get(name);
    if (held) count(held.paths, -1);
    if (!part) return void parts.delete(name);
    count(part.paths, 1);
    parts.set(name, part);
  };

  const partOf = (name: string, sources: Service[]): Part => {
    const paths = servicePaths(name, sources, o.namespace);
    const keys = Object.keys(paths);
    const json = Buffer.from(
      keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(paths[k])}`).join(','),
    );
    return { sources, paths: keys, json, hash: hash(json) };
  };

  const rebuild = async (): Promise<void> => {
    for (let round = 0; round < ROUNDS && builtAt !== catalog.generation; round++) {
      const generation = catalog.generation;
      const groups = documentedServices(catalog.all(), deny);
      let changed = groups.size !== names.length;
      for (const name of [...parts.keys()])
        if (!groups.has(name)) {
          setPart(name, undefined);
          changed = true;
        }
      let slice = performance.now();
      for (const [name, sources] of groups) {
        const held = parts.get(name);
        if (held && sameSources(held.sources, sources)) continue;
        setPart(name, partOf(name, sources));
        changed = true;
        if (performance.now() - slice > SLICE_MS) {
          await turn();
          slice = performance.now();
        }
      }
      builtAt = generation;
      // A change to what the documents leave out (a proxied app, a denied service) keeps them.
      if (!changed) continue;
      names = [...groups.keys()].sort(compareNatural);
      whole = undefined;
      prefixed.clear();
    }
  };

  // Twice at most: a build that was finishing as the catalog changed is followed by one more.
  const current = async (): Promise<void> => {
    for (let i = 0; i < 2 && builtAt !== catalog.generation; i++) {
      building ??= rebuild().finally(() => (building = undefined));
      await building;
    }
  };

  /** The document of the named services (listed parts, in order). */
  const join = (list: string[], title?: string): OpenApiBody => {
    // A path two services list is merged (the later name's operations win, as in
    // openApiDocument); every other path is its service's JSON as it is.
    const chunks: Buffer[] = [];
    const merged = new Map<string, Record<string, Operation>>();
    const hashes: string[] = [];
    const entry = (path: string, ops: unknown): Buffer =>
      Buffer.from(`${JSON.stringify(path)}:${JSON.stringify(ops)}`);
    for (const name of list) {
      const part = parts.get(name);
      if (!part) continue;
      hashes.push(name, part.hash);
      if (part.json.length === 0) continue;
      if (shared.size === 0 || !part.paths.some((p) => shared.has(p))) {
        chunks.push(part.json, COMMA);
        continue;
      }
      const all = JSON.parse(`{${part.json.toString()}}`) as Record<
        string,
        Record<string, Operation>
      >;
      for (const path of part.paths) {
        const ops = all[path] ?? {};
        if (!shared.has(path)) chunks.push(entry(path, ops), COMMA);
        else {
          const into = merged.get(path) ?? (Object.create(null) as Record<string, Operation>);
          merged.set(path, Object.assign(into, ops));
        }
      }
    }
    for (const [path, ops] of merged) chunks.push(entry(path, ops), COMMA);
    if (chunks.length > 0) chunks.pop(); // the last comma
    const frame = JSON.stringify(
      documentOf(JSON.parse(HOLE) as string, serviceTags(list), o, title),
    );
    const at = frame.indexOf(HOLE);
    chunks.unshift(Buffer.from(`${frame.slice(0, at)}{`));
    chunks.push(Buffer.from(`}${frame.slice(at + HOLE.length)}`));
    return { body: Buffer.concat(chunks), etag: `"${hash(`${frame}\n${hashes.join('\n')}`)}"` };
  };

  /** The part of a service, named in full or, with a namespace, without it. */
  const partNamed = (name: string): [string, Part] | undefined => {
    for (const n of o.namespace ? [name, `${o.namespace}.${name}`] : [name]) {
      const part = parts.get(n);
      if (part) return [n, part];
    }
    return undefined;
  };

  return {
    async document(scope) {
      if (scope && 'service' in scope) {
        // A service registered a moment ago may not be in the catalog yet.
        if (!catalog.get(scope.service)) await catalog.lookup(scope.service);
        await current();
        const found = partNamed(scope.service);
        if (!found) return undefined;
        const [name, part] = found;
        return (part.own ??= join([name], `micro API gateway: ${name}`));
      }
      await current();
      if (!scope || scope.prefix === '') return (whole ??= join(names));
      let doc = prefixed.get(scope.prefix);
      if (!doc) {
        const p = scope.prefix;
        const q = o.namespace ? `${o.namespace}.${p}` : p;
        doc = join(
          names.filter((n) => n.startsWith(p) || n.startsWith(q)),
          `micro API gateway: services ${p}*`,
        );
        if (prefixed.size >= PREFIX_DOCUMENTS) prefixed.clear();
        prefixed.set(p, doc);
      }
      return doc;
    },
  };
}
