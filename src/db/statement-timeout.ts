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

/** db's request statement timeout as a transaction-local setting, for openTenantScope. */
export function requestStatementTimeoutSetting(db: Db): Record<string, string> {
  const ms = requestTimeouts.get(db);
  return ms === undefined ? {} : { statement_timeout: String(ms) };
}
