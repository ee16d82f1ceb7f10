import type { RecordLimits } from './validate.ts';

/** A JSON Schema document describing a request or response. */
export type Schema = Record<string, unknown>;

/** One callable endpoint of a service, such as `Say.Hello`. */
export interface Endpoint {
  /** `Handler.Method` as callers name it (`Say.Hello`); a subscriber's topic. */
  name: string;
  /** The request's JSON Schema, when the endpoint declares one. */
  request?: Schema;
  /** The response's JSON Schema, when the endpoint declares one. */
  response?: Schema;
  /** `stream` is `server`, `client` or `bidi` for streams; `subscriber` is `true` for topics. */
  metadata: Record<string, string>;
}

/** One running instance of a service. */
export interface Node {
  /** Unique among the nodes of a service: `<name>-<uuid>` by default. */
  id: string;
  /** `host:port` the node is reached at. */
  address: string;
  /** Labels of this node (transport, broker, registry, protocol, ...); selector filters read them. */
  metadata: Record<string, string>;
}

/** A service at one version, with the nodes that serve it. */
export interface Service {
  /** The name callers address it by (`greeter`). */
  name: string;
  /** The version this record describes; versions of one name are listed apart. */
  version: string;
  /** Labels of the service version as a whole. */
  metadata: Record<string, string>;
  /** The endpoints this version serves. */
  endpoints: Endpoint[];
  /** The running instances of this version. */
  nodes: Node[];
}

/** What a watcher reports. */
export type WatchAction = 'create' | 'update' | 'delete';

/** One change seen by a watcher: the service as it now is (for delete, as it was). */
export interface WatchEvent {
  /** What happened to the service version. */
  action: WatchAction;
  /** The service version with the nodes concerned. */
  service: Service;
}

/** Options for a registration. */
export interface RegisterOptions {
  /**
   * Lease length in milliseconds (above 0, at most a day by default); the node expires unless
   * re-registered within it. Left out: the registry's default lease (a day). Nothing is forever.
   */
  ttl?: number;
}

/** Options for a watch. */
export interface WatchOptions {
  /** Only report changes to this service. */
  service?: string;
}

/** A stream of registry changes; iterate it, and stop it when done. */
export interface Watcher extends AsyncIterable<WatchEvent> {
  /** Ends the iteration and releases the watch. */
  stop(): void;
}

/** Service discovery: a lease-based map of service name to versions and nodes. */
export interface Registry {
  /** The implementation's name, as used in the registries table. */
  readonly name: string;
  /** Where this registry is, for error messages ("micro at 127.0.0.1:8000"). */
  readonly address: string;
  /** Adds or refreshes the given nodes of a service version; idempotent. */
  register(service: Service, options?: RegisterOptions): Promise<void>;
  /** Removes the given nodes; a version with no nodes left disappears. */
  deregister(service: Service): Promise<void>;
  /** Every version of a service; throws MICRO_ERR_REGISTRY_NOT_FOUND when there is none. */
  getService(name: string): Promise<Service[]>;
  /** Every service version known, with nodes. */
  listServices(): Promise<Service[]>;
  /** Reports changes from now on. */
  watch(options?: WatchOptions): Watcher;
  /** Releases connections and timers. Registrations are left to expire. */
  close(): Promise<void>;
}

/** Error codes raised by registries. */
export const RegistryErrors = {
  /** No service of that name is registered. */
  notFound: 'MICRO_ERR_REGISTRY_NOT_FOUND',
  /** The registry's server cannot be reached or did not answer in time. */
  unavailable: 'MICRO_ERR_REGISTRY_UNAVAILABLE',
  /** A record was refused: malformed or over a limit. */
  invalid: 'MICRO_ERR_REGISTRY_INVALID',
  /** The registry enforces auth and the request carried no valid token (401). */
  unauthorized: 'MICRO_ERR_REGISTRY_UNAUTHORIZED',
  /** The registry enforces auth and the caller's rules do not allow this (403). */
  forbidden: 'MICRO_ERR_REGISTRY_FORBIDDEN',
} as const;

/** A registry failure with a stable code and a hint for the user. */
export class RegistryError extends Error {
  /** One of RegistryErrors. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'RegistryError';
    this.code = code;
  }
}

/** The HTTP status a registry failure travels as: not found 404, invalid 400, 401, 403, else (unreachable) 503. */
export function registryStatus(err: RegistryError): number {
  const codes: Record<string, number> = {
    [RegistryErrors.notFound]: 404,
    [RegistryErrors.invalid]: 400,
    [RegistryErrors.unauthorized]: 401,
    [RegistryErrors.forbidden]: 403,
  };
  return codes[err.code] ?? 503;
}

/** The base options every registry factory takes. */
export interface RegistryOptions {
  /** Addresses of the registry's servers, where it has any. */
  addresses?: string[];
  /** Milliseconds to wait for an answer. */
  timeout?: number;
  /** Bounds of the records taken (names, sizes, leases); see DEFAULT_LIMITS in validate.ts. */
  limits?: Partial<RecordLimits>;
  /** Where warnings go about invalid records read from a shared engine and dropped; process.emitWarning by default. */
  warn?: (message: string) => void;
}

/** Builds a registry from options. */
export type RegistryFactory<O extends RegistryOptions = RegistryOptions> = (
  options?: O,
) => Registry;
