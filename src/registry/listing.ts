// The registry's listing for large fleets: a name filter, natural order, pages with a cursor, and
// a summary form; the one implementation, over any Registry's listServices() or a list in hand.
import { printable } from './printable.ts';
import type { Registry, Service } from './registry.ts';
import { RegistryError, RegistryErrors } from './registry.ts';
import { DEFAULT_LIMITS, fieldList, isObject } from './validate.ts';

/** The most entries one page holds. */
export const MAX_PAGE = 1000;

/** What a listing asks for; every field is optional, and none at all lists everything in full. */
export interface ListOptions {
  /** Only names starting with this (case as written). */
  prefix?: string;
  /** Only names containing this, ignoring case. */
  contains?: string;
  /** At most this many entries (versions; names for a summary), 1 to MAX_PAGE; all when left out. */
  limit?: number;
  /** Where to go on from: a previous page's `next`, as it was given. */
  cursor?: string;
  /** One summary per name instead of each version's full record. */
  summary?: boolean;
}

/** One service name as a summary lists it. */
export interface ServiceSummary {
  /** The service's name. */
  name: string;
  /** Its versions, in natural order. */
  versions: string[];
  /** Nodes over all its versions. */
  nodes: number;
  /** Distinct endpoint names over all its versions. */
  endpoints: number;
}

/** A page of full records, in natural order of name then version. */
export interface ServicePage {
  /** The service versions of this page. */
  services: Service[];
  /** Present when more remain: the cursor of the next page. */
  next?: string;
}

/** A page of summaries, one per name, in natural order. */
export interface SummaryPage {
  /** The names of this page, summarized. */
  summaries: ServiceSummary[];
  /** Present when more remain: the cursor of the next page. */
  next?: string;
}

/** What a listing with these options answers: summaries when `summary` is true, else full records. */
export type PageOf<O extends ListOptions> = O extends {
  /** Summaries asked for. */
  summary: true;
}
  ? SummaryPage
  : O extends {
        /** Whatever the options say of summaries. */
        summary?: infer S;
      }
    ? true extends S
      ? ServicePage | SummaryPage
      : ServicePage
    : ServicePage;

/** A registry that pages its listing itself (the control plane's client), rather than in memory. */
export interface PagedRegistry extends Registry {
  /** One page of the listing, filtered and ordered by the registry's server. */
  listPage<O extends ListOptions>(options: O): Promise<PageOf<O>>;
}

/** The fields of a ListServices request, in the order messages name them. */
export const LIST_FIELDS = ['prefix', 'contains', 'limit', 'cursor', 'summary'] as const;

// Cursors carry a name (128) and a version (64), base64url-encoded with a little framing.
const MAX_CURSOR = 512;
const collator = new Intl.Collator('en', { numeric: true });

/**
 * Natural order (`svc-2` before `svc-10`), made total: strings the collator holds equal (`a01`,
 * `a1`) are ordered by their code units, so a cursor always has one place.
 */
export function compareNatural(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

const invalid = (message: string): never => {
  throw new RegistryError(RegistryErrors.invalid, message);
};

/**
 * Checks listing options as they arrive (from a caller or over the wire) and returns them typed;
 * throws MICRO_ERR_REGISTRY_INVALID naming the field at fault, and for a cursor of the other form
 * (from a page of summaries, or of full records).
 */
export function listOptions(value: unknown, what = 'a ListServices request'): ListOptions {
  if (value === undefined) return {};
  if (!isObject(value)) return invalid(`${what} must be an object`);
  for (const key of Object.keys(value))
    if (!(LIST_FIELDS as readonly string[]).includes(key) && value[key] !== undefined)
      invalid(
        `${/^[\w-]{1,40}$/.test(key) ? key : printable(JSON.stringify(key.slice(0, 40)), false)} is not a field of ${what}; it takes ${fieldList(LIST_FIELDS)}`,
      );
  const { prefix, contains, limit, cursor, summary } = value;
  const out: ListOptions = {};
  for (const [field, v] of [
    ['prefix', prefix],
    ['contains', contains],
  ] as const) {
    if (v === undefined) continue;
    if (typeof v !== 'string') invalid(`${field} must be a string`);
    else if (v.length > DEFAULT_LIMITS.nameLength)
      invalid(
        `${field} is ${v.length} characters long; a name has at most ${DEFAULT_LIMITS.nameLength}`,
      );
    else out[field] = v;
  }
  if (limit !== undefined) {
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
      invalid(`limit must be a whole number from 1 to ${MAX_PAGE}; leave it out for every entry`);
    out.limit = limit as number;
  }
  if (cursor !== undefined) {
    if (typeof cursor !== 'string') invalid('cursor must be a string: a page\'s "next"');
    out.cursor = cursor as string;
  }
  if (summary !== undefined) {
    if (typeof summary !== 'boolean') invalid('summary must be true or false');
    out.summary = summary as boolean;
  }
  const after = out.cursor === undefined ? undefined : decodeCursor(out.cursor);
  if (after && after.summary !== (out.summary === true))
    invalid(
      `cursor comes from a page of ${after.summary ? 'summaries' : 'full records'}: ask with summary: ${after.summary}, or leave the cursor out`,
    );
  return out;
}

/** Where a page ended: a name, and for full records the version. */
type Position = { summary: true; name: string } | { summary: false; name: string; version: string };

function encodeCursor(p: Position): string {
  const parts = p.summary ? ['s', p.name] : ['f', p.name, p.version];
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  const bad = (): never =>
    invalid('cursor is not one a page gave: pass a page\'s "next" as it is, or leave it out');
  if (cursor.length === 0 || cursor.length > MAX_CURSOR || !/^[A-Za-z0-9_-]+$/.test(cursor))
    return bad();
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return bad();
  }
  if (!Array.isArray(parts) || !parts.every((p) => typeof p === 'string')) return bad();
  const [kind, name, version] = parts;
  if (kind === 's' && parts.length === 2 && name) return { summary: true, name };
  if (kind === 'f' && parts.length === 3 && name && version !== undefined)
    return { summary: false, name, version };
  return bad();
}

/** Whether a name passes the options' filter. */
function matches(name: string, o: ListOptions): boolean {
  if (o.prefix !== undefined && !name.startsWith(o.prefix)) return false;
  return o.contains === undefined || name.toLowerCase().includes(o.contains.toLowerCase());
}

/**
 * One page of a listing, from every service version in hand (a registry's listServices()):
 * filtered, in natural order, from just after the cursor. Throws MICRO_ERR_REGISTRY_INVALID for
 * bad options (see listOptions).
 */
export function pageOf<O extends ListOptions>(services: readonly Service[], options: O): PageOf<O>;
export function pageOf(
  services: readonly Service[],
  options: ListOptions,
): ServicePage | SummaryPage {
  const o = listOptions(options, 'the listing options');
  const after = o.cursor === undefined ? undefined : decodeCursor(o.cursor);
  const found = services.filter((s) => matches(s.name, o));
  const limit = o.limit ?? Number.POSITIVE_INFINITY;
  if (o.summary) {
    const byName = new Map<string, Service[]>();
    for (const s of found) {
      const list = byName.get(s.name);
      if (list) list.push(s);
      else byName.set(s.name, [s]);
    }
    let names = [...byName.keys()];
    if (after) names = names.filter((n) => compareNatural(n, after.name) > 0);
    names.sort(compareNatural);
    const page = names.slice(0, limit);
    const last = page.at(-1);
    return {
      summaries: page.map((name) => summarize(name, byName.get(name) ?? [])),
      ...(last !== undefined && names.length > page.length
        ? { next: encodeCursor({ summary: true, name: last }) }
        : {}),
    };
  }
  const order = (a: Service, b: Service): number =>
    compareNatural(a.name, b.name) || compareNatural(a.version, b.version);
  let rest = found;
  if (after && !after.summary) {
    const mark = { name: after.name, version: after.version } as Service;
    rest = found.filter((s) => order(s, mark) > 0);
  }
  rest = [...rest].sort(order);
  const page = rest.slice(0, limit);
  const last = page.at(-1);
  return {
    services: page,
    ...(last !== undefined && rest.length > page.length
      ? { next: encodeCursor({ summary: false, name: last.name, version: last.version }) }
      : {}),
  };
}

/** One name's summary from its versions. */
export function summarize(name: string, versions: readonly Service[]): ServiceSummary {
  const endpoints = new Set<string>();
  let nodes = 0;
  for (const v of versions) {
    nodes += v.nodes.length;
    // A record read from a shared engine may leave endpoints out.
    for (const e of v.endpoints ?? []) endpoints.add(e.name);
  }
  return {
    name,
    versions: versions.map((v) => v.version).sort(compareNatural),
    nodes,
    endpoints: endpoints.size,
  };
}

/** Whether the registry pages its listing itself. */
export function isPaged(registry: Registry): registry is PagedRegistry {
  return typeof (registry as Partial<PagedRegistry>).listPage === 'function';
}

/**
 * One page of any registry's listing: asked of its server when it pages (the control plane),
 * else cut from its listServices() here.
 */
export async function listPage<O extends ListOptions>(
  registry: Registry,
  options: O,
): Promise<PageOf<O>> {
  if (isPaged(registry)) return registry.listPage(options);
  return pageOf(await registry.listServices(), options);
}

/**
 * Every page of a listing in turn, `limit` entries each (500 when not given), following the
 * cursors until none is left: `for await (const page of listPages(registry, { prefix: 'svc-' }))`.
 * A registry that does not page is read once, and its pages are cut from that one reading.
 */
export async function* listPages<O extends ListOptions>(
  registry: Registry,
  options: O,
): AsyncGenerator<PageOf<O>, void, undefined> {
  const limit = options.limit ?? 500;
  listOptions({ ...options, limit }, 'the listing options');
  const all = isPaged(registry) ? undefined : await registry.listServices();
  let cursor = options.cursor;
  // Each page moves the cursor strictly forward, so this ends; the bound guards a server that does not.
  for (let pages = 0; pages < 1_000_000; pages++) {
    const asked = { ...options, limit, cursor };
    const page = all ? pageOf(all, asked) : await (registry as PagedRegistry).listPage(asked);
    yield page;
    if (page.next === undefined || page.next === cursor) return;
    cursor = page.next;
  }
}
