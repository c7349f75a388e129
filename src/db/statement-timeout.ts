import { sql } from 'kysely';
import type { Db } from './database.js';

// Set where the pool is wired (app.ts), read where a tenant's request transaction starts. A
// pool-wide session setting would also cut short migrations and tenant moves, which may rightly
// run for minutes; and the tenant scope is handed only the pool.
const requestTimeouts = new WeakMap<Db, number>();

/** Gives every tenant-scoped transaction on db a statement timeout; 0 means none. */
export function setRequestStatementTimeout(db: Db, ms: number): void {
  if (ms > 0) requestTimeouts.set(db, ms);
  else requestTimeouts.delete(db);
}

/**
 * Applies db's request statement timeout to trx, transaction-locally (set_config(..., true)), so a
 * pooled connection never carries it into other work. A statement that runs longer is cancelled
 * with SQLSTATE 57014, which clients see as TIMEOUT (graphql/errors.ts).
 */
export async function applyRequestStatementTimeout(db: Db, trx: Db): Promise<void> {
  const ms = requestTimeouts.get(db);
  if (ms === undefined) return;
  await sql`select set_config('statement_timeout', ${String(ms)}, true)`.execute(trx);
}
