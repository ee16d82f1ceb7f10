// Sync: distributed locks with a lease and leader election. A lock is held while its holder keeps
// renewing the lease (automatically, every third of it) and is released when the holder unlocks,
// dies, or lets the lease lapse; each acquisition returns a fencing token that grows with every
// acquisition of that name, so a resource can refuse a holder whose lease already lapsed. An
// election has at most one leader per name at a time; a candidate is told when it gains and when
// it loses leadership.
//
// Implementations: memory (one process), micro (the control plane's SQLite: one control plane),
// etcd (its leases and elections: a cluster), redis (one Redis instance: not Redlock, and not safe
// over a Redis failover).

/** A held lock. */
export interface Lock {
  readonly name: string;
  /** Grows with every acquisition of this name: give it to the resource you guard. */
  readonly token: number;
  /** Who holds it. */
  readonly holder: string;
  /** Aborts when the lock is lost (lease lapsed, engine unreachable past the lease). */
  readonly signal: AbortSignal;
  /** Releases it; a no-op once lost. */
  unlock(): Promise<void>;
}

/** Options of a lock. */
export interface LockOptions {
  /** Lease in ms (default 15 s, at least 1 s): how long after its holder dies the lock frees. */
  ttl?: number;
  /** How long to wait for it in ms (default 0: fail at once with a 409 if held). */
  wait?: number;
  /** Who is asking (default: the service's node id). */
  holder?: string;
}

/** What `locks()` reports of a held lock. */
export interface LockInfo {
  name: string;
  holder: string;
  token: number;
  /** When its lease lapses unless renewed (ms since the epoch). */
  expiresAt: number;
}

/** A candidate in an election. */
export interface Candidacy {
  readonly name: string;
  /** True while this candidate leads. */
  readonly leading: boolean;
  /** Withdraws (resigning if leading). */
  resign(): Promise<void>;
}

/** Options of a candidacy. */
export interface ElectOptions {
  /** Who is standing (default: the service's node id). */
  id?: string;
  /** Lease in ms (default 15 s): how long after a dead leader's last renewal another may lead. */
  ttl?: number;
  /** Called when this candidate becomes leader. */
  onElected?: (info: LeaderInfo) => void;
  /** Called when it stops being leader (resigned, lease lost). */
  onDeposed?: () => void;
}

/** The current leader of an election. */
export interface LeaderInfo {
  name: string;
  id: string;
  /** Grows with each new leadership term. */
  term: number;
  since: number;
  /** When its lease lapses unless renewed (ms since the epoch), where the engine says. */
  expiresAt?: number;
}

/** Locks and leader election. */
export interface Sync {
  readonly name: string;
  readonly address: string;
  /** Acquires the lock, waiting up to options.wait; a 409 when it is held past that. */
  lock(name: string, options?: LockOptions): Promise<Lock>;
  /** The locks held now. */
  locks(options?: { prefix?: string }): Promise<LockInfo[]>;
  /** Stands in the election; stays a candidate until resign(). */
  elect(name: string, options?: ElectOptions): Promise<Candidacy>;
  /** The leader, or undefined when there is none. */
  leader(name: string): Promise<LeaderInfo | undefined>;
  /** Every election with a leader. */
  leaders(): Promise<LeaderInfo[]>;
  /** Releases its locks and candidacies and connections. */
  close(): Promise<void>;
}

/** Options every sync factory takes. */
export interface SyncOptions {
  address?: string;
  /** Default holder/candidate id. */
  id?: string;
  timeout?: number;
}

/** Builds a sync from options. */
export type SyncFactory = (options?: SyncOptions) => Sync;
