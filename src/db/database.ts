import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Engine } from './engine.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export function createDatabase(engine: Engine, poolSize: number): Db {
  const pool = new pg.Pool({
    connectionString: engine.url,
    max: Math.min(poolSize, engine.maxPoolSize),
    application_name: 'narwhal',
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Runs fn in a transaction, or inside the caller's when there already is one, so services compose. */
export async function withTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}
