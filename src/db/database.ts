import { type CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Engine } from './engine.js';
import { runPipelined } from './pipeline.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

/** How busy a database's pool is (for metrics). */
export type PoolUsage = { total: number; idle: number; waiting: number };

// Kysely hides its pool; this side table lets metrics and pipelined statements reach it without
// exposing the pool.
const pools = new WeakMap<Db, { pool: pg.Pool; onQuery: ((sql: string) => void) | undefined; citus: boolean }>();

/** onQuery sees the SQL of every statement run (instrumentation: tests count round trips). */
export function createDatabase(
  engine: Engine,
  poolSize: number,
  options: { onQuery?: (sql: string) => void; onIdleError?: (error: Error) => void } = {},
): Db {
  const pool = new pg.Pool({
    connectionString: engine.url,
    ...(engine.stream ? { stream: engine.stream } : {}),
    max: Math.min(poolSize, engine.maxPoolSize),
    application_name: 'narwhal',
    // While the database is down a request fails in seconds (DATABASE_UNAVAILABLE), not never.
    connectionTimeoutMillis: 5000,
  });
  // An idle connection the server dropped (restart, failover) is an 'error' event; unhandled, it
  // would end the process. The pool discards the client and opens a new one on the next query.
  pool.on('error', (error) => options.onIdleError?.(error));
  // pg also emits 'error' on a checked-out client whose connection ends (mid-query, or a transaction
  // between statements), and the pool listens only while a client is idle: unhandled, that too ends
  // the process. The request using it already fails with the error (DATABASE_UNAVAILABLE), and the
  // pool discards the client on release because it is no longer queryable; nothing more to do here.
  pool.on('connect', (client) => client.on('error', () => {}));
  const { onQuery } = options;
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    ...(onQuery ? { log: (event) => onQuery(event.query.sql) } : {}),
  });
  pools.set(db, { pool, onQuery, citus: false });
  return db;
}

/** Records that db is a Citus coordinator (found at startup), for what must differ there. */
export function markCitusCoordinator(db: Db): void {
  const entry = pools.get(db);
  if (entry) entry.citus = true;
}

export function isCitusCoordinator(db: Db): boolean {
  return pools.get(db)?.citus === true;
}

/**
 * Whether executePipelined may carry a tenant's scope on this database. Not on Citus: there the
 * scope's SET LOCAL statements reach the workers only from inside a transaction block, which a
 * pipeline's implicit transaction is not.
 */
export function canPipeline(db: Db): boolean {
  return pools.has(db) && !isCitusCoordinator(db) && !db.isTransaction;
}

/** The pool's connection counts now; undefined for a db not made by createDatabase. */
export function poolUsage(db: Db): PoolUsage | undefined {
  const pool = pools.get(db)?.pool;
  return pool && { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}

/** Runs fn in a transaction, or inside the caller's when there already is one, so services compose. */
export async function withTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}

/**
 * Runs compiled statements in one round trip and one implicit transaction (see pipeline.ts); each
 * one's rows, in order. Not inside a transaction: that holds its own connection.
 */
export async function executePipelined(db: Db, statements: readonly CompiledQuery[], options: { prepare?: boolean } = {}): Promise<unknown[][]> {
  const entry = pools.get(db);
  if (!entry || db.isTransaction) throw new Error('executePipelined needs a database made by createDatabase, outside a transaction');
  for (const statement of statements) entry.onQuery?.(statement.sql);
  return runPipelined(entry.pool, statements, options);
}
