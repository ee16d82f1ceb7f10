// Sync: distributed locks with a lease and leader election. A lock is held while its holder keeps
// renewing the lease (automatically, every third of it) and is released when the holder unlocks,
// dies, or lets the lease lapse; each acquisition returns a fencing token that grows with every
// acquisition of that name, so a resource can refuse a holder whose lease already lapsed. An
// election has at most one leader per name at a time; a candidate is told when it gains and when
// it loses leadership. A holder cut off from the engine gives the lock or leadership up (aborting
// lock.signal, calling onDeposed) before its lease can lapse there, provided clocks run at the
// same rate; nothing stops a paused process from acting late, which is what the token is for.
//
// Implementations, and what they guarantee:
// - memory: one process; nothing persisted.
// - micro (default): the control plane's `sync` service on its SQLite (micro.db); one control
//   plane, so locks are as available as it is; leases and tokens survive its restart.
// - etcd: etcd leases, keys created in transactions, elections by lowest create revision (etcd's
//   own recipe); as safe as the etcd cluster (a majority of members); tokens are create revisions.
// - redis: ONE Redis instance (SET NX PX, Lua checks by token); not Redlock, not safe over a
//   failover to a replica that missed the latest write.
// Limits: names, holders and ids up to 512 characters with no control character; leases 1 s to
// 1 h (15 s by default); waits up to 5 min. Anything else is a 400.

/** A held lock. */
export interface Lock {
  /** The lock's name. */
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
  /** The lock's name. */
  name: string;
  /** Who holds it. */
  holder: string;
  /** The fencing token of this acquisition. */
  token: number;
  /** When its lease lapses unless renewed (ms since the epoch). */
  expiresAt: number;
}

/** A candidate in an election. */
export interface Candidacy {
  /** The election's name. */
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
  /** The election's name. */
  name: string;
  /** The leading candidate's id. */
  id: string;
  /** Grows with each new leadership term. */
  term: number;
  /** When this term began (ms since the epoch; 0 where the engine does not know yet). */
  since: number;
  /** When its lease lapses unless renewed (ms since the epoch), where the engine says. */
  expiresAt?: number;
}

/** Locks and leader election. */
export interface Sync {
  /** Its implementation: micro, memory, etcd or redis. */
  readonly name: string;
  /** Where its engine is. */
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
  /** Where the engine is (host:port; for micro, the control plane's). */
  address?: string;
  /** Default holder/candidate id. */
  id?: string;
  /** How long each call to the engine may take, in ms (5000). */
  timeout?: number;
}

/** Builds a sync from options. */
export type SyncFactory = (options?: SyncOptions) => Sync;
