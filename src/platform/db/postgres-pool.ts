// The PostgreSQL engine's connections: a pool bounded in size, each statement bounded in time
// (statement_timeout), `pg` loaded on first use; and its errors mapped to the db's shape, so a
// remote caller sees a code and what to do, never PostgreSQL's message with its internals.
import type { Pool, PoolClient } from 'pg';
import { internalServerError, MicroError, serviceUnavailable } from '../../runtime/errors.ts';

/** Options of the PostgreSQL engine's connections. */
export interface PostgresConnection {
  /** `postgres://user:password@host:port/database`, or `host:port` (user and database from PG* variables). */
  address: string;
  /** Connections at most (default 10). */
  poolSize?: number;
  /** Milliseconds a statement or a connection attempt may take (default 10,000). */
  timeout?: number;
}

/** The address as messages show it: without a password. */
export function shownAddress(address: string): string {
  if (!address.includes('://')) return address;
  try {
    const url = new URL(address);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'a malformed postgres:// URL';
  }
}

/** Opens a pool (loading `pg`). */
export async function openPool(o: PostgresConnection): Promise<Pool> {
  const { default: pg } = await import('pg');
  const timeout = o.timeout ?? 10_000;
  const where = o.address.includes('://')
    ? { connectionString: o.address }
    : (() => {
        const at = o.address.lastIndexOf(':');
        return at < 0
          ? { host: o.address }
          : { host: o.address.slice(0, at), port: Number(o.address.slice(at + 1)) };
      })();
  const pool = new pg.Pool({
    ...where,
    max: o.poolSize ?? 10,
    statement_timeout: timeout,
    connectionTimeoutMillis: timeout,
    idleTimeoutMillis: 10_000,
  });
  // An idle connection's failure (the server restarted) is reported by the next query instead.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs fn in a transaction on one connection, committed when it resolves, rolled back when not. */
export async function inTransaction<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const result = await fn(c);
    await c.query('COMMIT');
    return result;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** PostgreSQL's SQLSTATE of an error, if it has one. */
export const sqlState = (err: unknown): string | undefined =>
  typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : undefined;

/**
 * The db's error for a failure of PostgreSQL at `address`: the db's own errors as they are; a
 * server that cannot be reached, refuses or is too slow a 503; anything else a 500 with its
 * SQLSTATE only (a unique violation is named by the caller, who knows the index).
 */
export function dbError(err: unknown, address: string): MicroError {
  if (err instanceof MicroError) return err;
  const state = sqlState(err) ?? '';
  const at = `PostgreSQL at ${shownAddress(address)}`;
  if (state === '57014')
    return serviceUnavailable(
      'db',
      `${at} did not finish the statement in time (statement_timeout)`,
    );
  if (/^(08|53|57P|28|3D)/.test(state) || /^E[A-Z]+$/.test(state) || !state) {
    const why = state
      ? /^E[A-Z]+$/.test(state)
        ? state
        : `SQLSTATE ${state}`
      : (err as Error).message?.slice(0, 80) || 'no answer';
    return serviceUnavailable(
      'db',
      `cannot reach ${at} (${why}); start PostgreSQL, or check MICRO_DB_ADDRESS`,
    );
  }
  return internalServerError('db', `${at} failed the statement (SQLSTATE ${state})`);
}
