import { sql } from 'kysely';
import type { Db } from './database.js';
import { migrationNames } from './migrator.js';

/** Resolves once the database has answered a trivial query. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/** Migrations this code carries that the database has not recorded as applied, in order. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
  const applied = new Set(rows.map((row) => row.name));
  return (await migrationNames()).filter((name) => !applied.has(name));
}
