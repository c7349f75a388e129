import { readdir, readFile } from 'node:fs/promises';
import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Db } from './database.js';

const MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url);

/** Values substituted for `:NAME` in migration files; only validated configuration goes here. */
export type MigrationPlaceholders = {
  EMBEDDING_DIMENSIONS: number;
  DISTANCE_METRIC: string;
  SHARED_BUCKETS: number;
  TEXT_SEARCH_CONFIG: string;
  VECTOR_STORAGE: string;
};

/** Serves migrations/NNNN_name.sql files, in name order, with placeholders filled in. */
class SqlFileMigrationProvider implements MigrationProvider {
  constructor(private readonly placeholders: MigrationPlaceholders) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(new URL(file, MIGRATIONS_DIR), 'utf8');
      const filled = text.replace(/:([A-Z_]+)\b/g, (match, name: string) =>
        name in this.placeholders ? String(this.placeholders[name as keyof MigrationPlaceholders]) : match,
      );
      migrations[file.replace(/\.sql$/, '')] = {
        up: async (db) => {
          await sql.raw(filled).execute(db);
        },
      };
    }
    return migrations;
  }
}

/** Names of the migrations this code carries, in order (readiness compares them with kysely_migration). */
export async function migrationNames(): Promise<string[]> {
  return (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort().map((f) => f.replace(/\.sql$/, ''));
}

/** Applies every pending migration, in order, roll-forward only; returns the names applied. */
export async function migrateToLatest(db: Db, placeholders: MigrationPlaceholders): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider(placeholders) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
