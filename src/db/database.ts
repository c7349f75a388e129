import { type Compilable, type CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Engine } from './engine.js';
import { CompiledStatements } from './compiled-statements.js';
import { runPipelined } from './pipeline.js';
import { poolTypeParsers } from './timestamp-parser.js';
import type { Db, Tables } from './schema.js';
import { transactionLocalSettingStatements, useSequentialShardAccess } from './citus.js';

/** The Kysely executor repositories take: the database, or a transaction on it. */
export type { Db };

/** A statement a repository built, compiled and run by the tenant session. */
export type Statement<R> = Compilable<R>;

/** Which server answers: how settings travel and what may be pipelined depend on it. */
export type EngineKind = 'embedded' | 'postgres' | 'citus';

/** How busy a database's pool is (for metrics). */
export type PoolUsage = { total: number; idle: number; waiting: number };

export type DatabaseOptions = {
  poolSize: number;
  /** Every tenant session's statement timeout, in ms; 0: none. */
  statementTimeoutMs?: number;
  /** Sees the SQL of every statement run (instrumentation: tests count round trips). */
  onQuery?: (sql: string) => void;
  onIdleError?: (error: Error) => void;
};

/**
 * The application's database: its Kysely executor (db) and what the engine it runs on means for
 * tenant sessions: the pool (for pipelined statements and metrics), the request statement timeout,
 * and the engine's kind. Services and the tenant session hold this; repositories take db.
 */
export class Database {
  readonly db: Db;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  /** Hot statements' compiled text, by shape: what a tenant session reuses instead of compiling. */
  readonly compiledStatements = new CompiledStatements();
  #engine: EngineKind;
  readonly #pool: pg.Pool;
  readonly #onQuery: ((sql: string) => void) | undefined;

  constructor(pool: pg.Pool, engine: EngineKind, options: DatabaseOptions) {
    const { onQuery } = options;
    this.#pool = pool;
    this.#engine = engine;
    this.#onQuery = onQuery;
    this.poolSize = options.poolSize;
    this.statementTimeoutMs = Math.max(0, options.statementTimeoutMs ?? 0);
    this.db = new Kysely<Tables>({
      dialect: new PostgresDialect({ pool }),
      ...(onQuery ? { log: (event) => onQuery(event.query.sql) } : {}),
    });
  }

  get engine(): EngineKind {
    return this.#engine;
  }

  /** Found at startup, once migrations have run (db/citus.ts). */
  markCitusCoordinator(): void {
    this.#engine = 'citus';
  }

  /**
   * Whether the rows live on other servers (Citus workers): per-query settings must then travel
   * as SET LOCAL, and row security is checked where the rows are.
   */
  get distributed(): boolean {
    return this.#engine === 'citus';
  }

  /**
   * Whether a tenant session's statements may be pipelined in one implicit transaction. Not on
   * Citus: there the session's SET LOCAL statements reach the workers only from inside a
   * transaction block, which a pipeline's implicit transaction is not.
   */
  get canPipeline(): boolean {
    return this.#engine !== 'citus';
  }

  /** The settings every tenant session opens with (transaction-local). */
  sessionSettings(): Record<string, string> {
    return this.statementTimeoutMs > 0 ? { statement_timeout: String(this.statementTimeoutMs) } : {};
  }

  /**
   * Applies transaction-local settings inside trx the way this engine needs: set_config(..., true)
   * in one statement, or, on Citus, SET LOCAL statements (the query runs on a worker, and Citus
   * forwards only SET LOCAL, not set_config(): migration 0015).
   */
  async setLocal(trx: Db, settings: Readonly<Record<string, string>>): Promise<void> {
    const entries = Object.entries(settings);
    if (entries.length === 0) return;
    if (this.distributed) {
      const values = Object.fromEntries(entries.map(([name, value]) => [name, /^[0-9]+$/.test(value) ? Number(value) : value]));
      for (const statement of transactionLocalSettingStatements(values)) await statement.execute(trx);
      return;
    }
    const calls = entries.map(([name, value]) => sql`set_config(${sql.lit(checkedSettingName(name))}, ${value}, true)`);
    await sql`select ${sql.join(calls)}`.execute(trx);
  }

  /**
   * Readies trx for moving a tenant's rows (reads, writes and DDL on one table in one
   * transaction): on Citus, one connection per worker throughout (useSequentialShardAccess).
   */
  async prepareForRowMoves(trx: Db): Promise<void> {
    if (this.distributed) await useSequentialShardAccess(trx);
  }

  /** Runs fn in a transaction. */
  async transaction<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /**
   * Runs compiled statements in one round trip and one implicit transaction (see pipeline.ts);
   * each one's rows, in order.
   */
  async executePipelined(statements: readonly CompiledQuery[], options: { prepare?: boolean } = {}): Promise<unknown[][]> {
    for (const statement of statements) this.#onQuery?.(statement.sql);
    return runPipelined(this.#pool, statements, options);
  }

  /** The pool's connection counts now. */
  poolUsage(): PoolUsage {
    const pool = this.#pool;
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }

  async destroy(): Promise<void> {
    await this.db.destroy();
  }
}

export function createDatabase(engine: Engine, options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: engine.url,
    ...(engine.stream ? { stream: engine.stream } : {}),
    max: Math.min(options.poolSize, engine.maxPoolSize),
    application_name: 'narwhal',
    types: poolTypeParsers,
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
  // A Citus coordinator is an external server found to be one after migrations (markCitusCoordinator).
  return new Database(pool, engine.kind === 'embedded' ? 'embedded' : 'postgres', options);
}

const SETTING_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

function checkedSettingName(name: string): string {
  if (!SETTING_NAME.test(name)) throw new RangeError(`setting name must look like "hnsw.ef_search", got "${name}"`);
  return name;
}
