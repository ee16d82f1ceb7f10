// The one check of a service record wherever records enter a registry: names, sizes and leases.
import { printable } from './printable.ts';
import type { RegisterOptions, RegistryOptions, Service } from './registry.ts';
import { RegistryError, RegistryErrors } from './registry.ts';

/** Bounds of a service record and of its lease; the defaults are far above what services register. */
export interface RecordLimits {
  /** Characters of a service name (128). */
  nameLength: number;
  /** Characters of a version (64). */
  versionLength: number;
  /** Entries of one metadata map (64). */
  metadataEntries: number;
  /** Characters of a metadata key (128). */
  metadataKeyLength: number;
  /** Characters of a metadata value (8,192). */
  metadataValueLength: number;
  /** Endpoints of one service (1,024). */
  endpoints: number;
  /** Characters of an endpoint name (256). */
  endpointNameLength: number;
  /** Nesting of a request or response schema (32 levels). */
  schemaDepth: number;
  /** Nodes in one registration (1,024). */
  nodes: number;
  /** Characters of a node id, and of a node address (256). */
  idLength: number;
  /** The whole record, in characters of its JSON (1 MiB). */
  recordSize: number;
  /** The longest lease a registration may ask for, in milliseconds (one day). */
  maxTtl: number;
  /** The lease of a registration that names none, in milliseconds (one day): nothing is forever. */
  defaultTtl: number;
  /**
   * The lease of a control plane's `Registry.Register` request that names none, in milliseconds
   * (30 s: the lease micro's own nodes take and renew every 10 s). micro's clients always send one.
   */
  remoteDefaultTtl: number;
}

/** The limits used when a registry is given none. */
export const DEFAULT_LIMITS: Readonly<RecordLimits> = {
  nameLength: 128,
  versionLength: 64,
  metadataEntries: 64,
  metadataKeyLength: 128,
  metadataValueLength: 8192,
  endpoints: 1024,
  endpointNameLength: 256,
  schemaDepth: 32,
  nodes: 1024,
  idLength: 256,
  recordSize: 1024 * 1024,
  maxTtl: 86_400_000,
  defaultTtl: 86_400_000,
  remoteDefaultTtl: 30_000,
};

/** A service name: letters, digits, `.`, `-`, `_`, not starting with `.` or `-`. */
export const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
// The http broker registers a topic's subscribers as the service `topic:<topic>`.
const TOPIC_NAME = /^topic:[A-Za-z0-9_.:/@+=*#~-]+$/;
const VERSION = /^[A-Za-z0-9_.+:@=~-]*$/;
// Endpoint names are Handler.Method, or a topic for a subscriber.
const ENDPOINT = /^[A-Za-z0-9_.:/@+=*#~-]+$/;
const ID = /^[A-Za-z0-9_.:/@+=*#~-]+$/;
// What ENDPOINT and ID allow, as messages say it.
const ID_CHARS = 'letters, digits and . _ - : / @ + = * # ~';
// host:port, [v6]:port, fe80::1%eth0:port, or a NATS subject.
const ADDRESS = /^[A-Za-z0-9_.:/@+=~%[\]-]+$/;
const KEY = /^[A-Za-z0-9_.:/@+=-]+$/;

const SERVICE_FIELDS = ['name', 'version', 'metadata', 'endpoints', 'nodes'] as const;
const NODE_FIELDS = ['id', 'address', 'metadata'] as const;
const ENDPOINT_FIELDS = ['name', 'request', 'response', 'metadata'] as const;

/** `a, b and c`. */
export const fieldList = (names: readonly string[]): string =>
  names.length < 2 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/** Thrown inside the check to stop at the first problem. */
class Invalid extends Error {}

function fail(message: string): never {
  throw new Invalid(message);
}

/** A value as shown in a message: printable, cut short. */
const shown = (v: string): string =>
  `"${printable(v.length > 40 ? `${v.slice(0, 40)}…` : v, false).replace(/"/g, '\\"')}"`;

/** Whether v is a plain object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `metadata.x`, or `metadata["odd key"]` when the key is not a plain word. */
const member = (where: string, key: string): string =>
  /^[A-Za-z_][\w-]{0,40}$/.test(key) ? `${where}.${key}` : `${where}[${shown(key)}]`;

/** Checks records against one set of limits; each check is one pass over the record. */
class Checker {
  readonly #l: RecordLimits;
  #budget = 0;
  #strict = false;

  constructor(limits: RecordLimits) {
    this.#l = limits;
  }

  /**
   * Checks one record: `full` for a registration (else only what a deregistration needs), `strict`
   * to refuse members a record does not have (where records enter; a reader passes them on).
   */
  service(s: unknown, full: boolean, strict: boolean): void {
    this.#budget = this.#l.recordSize;
    this.#strict = strict;
    if (!isObject(s)) fail('the service must be an object');
    const { name, version, metadata, endpoints, nodes } = s;
    this.#name(name);
    this.#string(
      version,
      'version',
      VERSION,
      this.#l.versionLength,
      'letters, digits and . _ - + : @ = ~',
      true,
    );
    this.#others(s, '', SERVICE_FIELDS, 'a service');
    const list = this.#list(nodes, 'nodes', this.#l.nodes);
    for (let i = 0; i < list.length; i++) this.#node(list[i], `nodes[${i}]`, full);
    if (!full) return;
    this.#map(metadata, 'metadata');
    if (endpoints !== undefined) {
      const eps = this.#list(endpoints, 'endpoints', this.#l.endpoints);
      for (let i = 0; i < eps.length; i++) this.#endpoint(eps[i], `endpoints[${i}]`);
    }
  }

  #name(name: unknown): void {
    if (typeof name !== 'string' || name === '') fail('name must be a non-empty string');
    if (name.length > this.#l.nameLength)
      fail(`name is ${name.length} characters long; the limit is ${this.#l.nameLength}`);
    if (!NAME.test(name) && !TOPIC_NAME.test(name))
      fail(
        `name ${shown(name)} may only have letters, digits, ., - and _ (and not start with . or -)`,
      );
    this.#spend(name.length + 9);
  }

  #string(v: unknown, where: string, re: RegExp, max: number, chars: string, empty = false): void {
    if (typeof v !== 'string') fail(`${where} must be a string`);
    if (v === '' && !empty) fail(`${where} must not be empty`);
    if (v.length > max) fail(`${where} is ${v.length} characters long; the limit is ${max}`);
    if (!re.test(v)) fail(`${where} ${shown(v)} may only have ${chars}`);
    this.#spend(v.length + where.length + 4);
  }

  /** An array of at most `max` entries. */
  #list(v: unknown, where: string, max: number): unknown[] {
    if (!Array.isArray(v)) fail(`${where} must be an array`);
    if (v.length > max) fail(`${where} has ${v.length} entries; the limit is ${max}`);
    return v as unknown[];
  }

  #node(n: unknown, where: string, full: boolean): void {
    if (!isObject(n)) fail(`${where} must be an object`);
    this.#string(n.id, `${where}.id`, ID, this.#l.idLength, ID_CHARS);
    this.#others(n, where, NODE_FIELDS, 'a node');
    if (!full) return;
    const chars = 'host:port (letters, digits and . _ - : / @ + = ~ % [ ])';
    this.#string(n.address, `${where}.address`, ADDRESS, this.#l.idLength, chars);
    this.#map(n.metadata, `${where}.metadata`);
  }

  #endpoint(e: unknown, where: string): void {
    if (!isObject(e)) fail(`${where} must be an object`);
    this.#string(e.name, `${where}.name`, ENDPOINT, this.#l.endpointNameLength, ID_CHARS);
    this.#map(e.metadata, `${where}.metadata`);
    this.#schema(e.request, `${where}.request`);
    this.#schema(e.response, `${where}.response`);
    this.#others(e, where, ENDPOINT_FIELDS, 'an endpoint');
  }

  /**
   * Members beyond the known ones: refused when strict, naming the first; else any JSON, counted
   * against the record size. A member left undefined is absent, as JSON leaves it out.
   */
  #others(o: Record<string, unknown>, where: string, known: readonly string[], what: string): void {
    for (const key of Object.keys(o)) {
      if (known.includes(key) || o[key] === undefined) continue;
      const path = where ? member(where, key) : /^[\w-]+$/.test(key) ? key : `[${shown(key)}]`;
      if (this.#strict) fail(`${path} is not a field of ${what}; it has ${fieldList(known)}`);
      this.#json(o[key], path, 1);
    }
  }

  #map(m: unknown, where: string): void {
    if (m === undefined) return;
    if (!isObject(m)) fail(`${where} must be an object of strings`);
    const keys = Object.keys(m);
    if (keys.length > this.#l.metadataEntries)
      fail(`${where} has ${keys.length} entries; the limit is ${this.#l.metadataEntries}`);
    for (const k of keys) {
      if (k.length > this.#l.metadataKeyLength || !KEY.test(k))
        fail(
          `${where} has a key ${shown(k)}: keys are 1 to ${this.#l.metadataKeyLength} letters, digits and . _ - : / @ + =`,
        );
      const v = m[k];
      if (typeof v !== 'string') fail(`${member(where, k)} must be a string`);
      if (v.length > this.#l.metadataValueLength)
        fail(
          `${member(where, k)} is ${v.length} characters long; the limit is ${this.#l.metadataValueLength}`,
        );
      this.#spend(k.length + v.length + 6);
    }
  }

  #schema(v: unknown, where: string): void {
    if (v === undefined) return;
    if (!isObject(v)) fail(`${where} must be a JSON Schema object`);
    const t = v.type;
    if (
      t !== undefined &&
      typeof t !== 'string' &&
      !(Array.isArray(t) && t.every((x) => typeof x === 'string'))
    )
      fail(`${where}.type must be a string or an array of strings`);
    const { properties, required } = v;
    if (properties !== undefined) {
      if (!isObject(properties)) fail(`${where}.properties must be an object of schemas`);
      for (const [k, p] of Object.entries(properties))
        if (!isObject(p) && typeof p !== 'boolean')
          fail(`${member(`${where}.properties`, k)} must be a schema`);
    }
    if (
      required !== undefined &&
      !(Array.isArray(required) && required.every((x) => typeof x === 'string'))
    )
      fail(`${where}.required must be an array of strings`);
    this.#json(v, where, 1);
  }

  /** Any JSON value: counted toward the size, nesting bounded (which also stops a cycle). */
  #json(v: unknown, where: string, depth: number): void {
    if (depth > this.#l.schemaDepth)
      fail(`${where} is nested deeper than ${this.#l.schemaDepth} levels`);
    switch (typeof v) {
      case 'string':
        return this.#spend(v.length + 2);
      case 'number':
        if (!Number.isFinite(v)) fail(`${where} has a number JSON cannot carry (${v})`);
        return this.#spend(String(v).length);
      case 'boolean':
        return this.#spend(5);
      case 'undefined':
        return; // left out, as JSON leaves it out
      case 'object':
        if (v === null) return this.#spend(4);
        this.#spend(2);
        if (Array.isArray(v)) {
          for (const item of v) {
            this.#json(item, where, depth + 1);
            this.#spend(1);
          }
          return;
        }
        for (const k of Object.keys(v)) {
          this.#spend(k.length + 4);
          this.#json((v as Record<string, unknown>)[k], where, depth + 1);
        }
        return;
      default:
        fail(`${where} must be JSON data (it has a ${typeof v})`);
    }
  }

  #spend(n: number): void {
    this.#budget -= n;
    if (this.#budget < 0)
      fail(`the record is larger than ${this.#l.recordSize} characters of JSON (the limit)`);
  }
}

/** The checks of one registry: its limits, and where warnings about dropped records go. */
export interface RecordCheck {
  readonly limits: Readonly<RecordLimits>;
  /**
   * Checks a record to register and returns its lease in ms (`fallback`, the default lease unless
   * given, when options name none); throws MICRO_ERR_REGISTRY_INVALID naming the field.
   */
  registration(service: Service, options?: RegisterOptions, fallback?: number): number;
  /** Checks what a deregistration needs: name, version and node ids. */
  deregistration(service: Service): void;
  /** Whether a record read from a shared engine may be passed on; an invalid one is warned about, once. */
  accept(service: unknown, from: string): service is Service;
  /** A lease read from a shared engine, or undefined (warned about) when out of bounds. */
  acceptTtl(ttl: unknown, from: string): number | undefined;
  /** Warns, once per message, that a record from a shared engine was dropped, and why. */
  drop(from: string, reason: string): void;
}

/** Options of a registry that concern the records it takes. */
export type CheckOptions = Pick<RegistryOptions, 'limits' | 'warn'>;

/** Warnings kept per registry, so that a flood of bad records does not flood the log. */
const MAX_WARNINGS = 64;

/** The record checks for a registry made with these options. */
export function recordCheck(options: CheckOptions = {}): RecordCheck {
  const limits: RecordLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const checker = new Checker(limits);
  const warned = new Set<string>();
  const warn =
    options.warn ??
    ((message: string) => process.emitWarning(message, { code: RegistryErrors.invalid }));
  const drop = (from: string, reason: string): void => {
    if (warned.size > MAX_WARNINGS) return;
    const message =
      warned.size === MAX_WARNINGS
        ? `more invalid service records dropped; no more warnings from this registry`
        : printable(`dropped an invalid service record from ${from}: ${reason}`, false);
    if (warned.has(message)) return;
    warned.add(message);
    warn(message);
  };
  const run = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      if (err instanceof Invalid) throw new RegistryError(RegistryErrors.invalid, err.message);
      throw err;
    }
  };
  const ttlProblem = (ttl: unknown, fallback: number): string | undefined =>
    typeof ttl === 'number' && ttl > 0 && ttl <= limits.maxTtl
      ? undefined
      : `ttl must be a number of milliseconds above 0 and at most ${limits.maxTtl}; leave it out for ${fallback}`;
  return {
    limits,
    registration(service, opts, fallback = limits.defaultTtl) {
      run(() => checker.service(service, true, true));
      const ttl = opts?.ttl;
      if (ttl === undefined) return fallback;
      const problem = ttlProblem(ttl, fallback);
      if (problem) throw new RegistryError(RegistryErrors.invalid, problem);
      return ttl;
    },
    deregistration(service) {
      run(() => checker.service(service, false, true));
    },
    accept(service, from): service is Service {
      try {
        checker.service(service, true, false);
        return true;
      } catch (err) {
        if (!(err instanceof Invalid)) throw err;
        drop(from, err.message);
        return false;
      }
    },
    acceptTtl(ttl, from) {
      const problem = ttlProblem(ttl, limits.defaultTtl);
      if (problem === undefined) return ttl as number;
      drop(from, problem);
      return undefined;
    },
    drop,
  };
}
