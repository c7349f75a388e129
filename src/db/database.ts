import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Engine } from './engine.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

/** onQuery sees the SQL of every statement run (instrumentation: tests count round trips). */
export function createDatabase(engine: Engine, poolSize: number, options: { onQuery?: (sql: string) => void } = {}): Db {
  const pool = new pg.Pool({
    connectionString: engine.url,
    max: Math.min(poolSize, engine.maxPoolSize),
    application_name: 'narwhal',
  });
  const { onQuery } = options;
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    ...(onQuery ? { log: (event) => onQuery(event.query.sql) } : {}),
  });
}

/** Runs fn in a transaction, or inside the caller's when there already is one, so services compose. */
export async function withTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}
