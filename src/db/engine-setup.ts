import { distributeCitusTables, isCitus } from './citus.js';
import type { Database } from './database.js';

/**
 * After the migrations: what the engine needs before serving. A Citus coordinator is marked as
 * one (how settings travel, what may be pipelined) and its tables are distributed. What was done,
 * for the log; undefined when nothing was.
 */
export async function adaptToEngine(database: Database): Promise<string | undefined> {
  if (!(await isCitus(database.db))) return undefined;
  database.markCitusCoordinator();
  await distributeCitusTables(database.db);
  return 'Citus: tenants and deployment_settings are reference tables, documents is distributed by tenant_id';
}
