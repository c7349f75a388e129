import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { type TenantId, hnswIndexName, partitionName } from './tenant.js';

export async function findIndexSizeBytes(db: Db, tenantId: TenantId): Promise<number | null> {
  const { rows } = await sql<{ bytes: string | null }>`
    select pg_relation_size(to_regclass(${hnswIndexName(tenantId)})) as bytes`.execute(db);
  return rows[0]?.bytes === null || rows[0]?.bytes === undefined ? null : Number(rows[0].bytes);
}

export type IndexBuildProgressRow = {
  phase: string;
  blocks_done: string;
  blocks_total: string;
  tuples_done: string;
  tuples_total: string;
};

/** A running CREATE INDEX on the tenant's table, as pg_stat_progress_create_index reports it. */
export async function findIndexBuildProgress(db: Db, tenantId: TenantId): Promise<IndexBuildProgressRow | undefined> {
  const { rows } = await sql<IndexBuildProgressRow>`
    select phase, blocks_done, blocks_total, tuples_done, tuples_total
    from pg_stat_progress_create_index where relid = to_regclass(${partitionName(tenantId)})`.execute(db);
  return rows[0];
}

export async function isExtensionAvailable(db: Db, name: string): Promise<boolean> {
  const { rows } = await sql<{ available: boolean }>`
    select exists (select 1 from pg_available_extensions where name = ${name}) as available`.execute(db);
  return rows[0]?.available ?? false;
}

export async function createPrewarmExtension(db: Db): Promise<void> {
  await sql`create extension if not exists pg_prewarm`.execute(db);
}

/** Loads the tenant's HNSW index into shared buffers; returns the number of blocks read. */
export async function prewarmTenantIndex(db: Db, tenantId: TenantId): Promise<number> {
  const { rows } = await sql<{ blocks: number }>`
    select pg_prewarm(to_regclass(${hnswIndexName(tenantId)})) as blocks`.execute(db);
  return Number(rows[0]?.blocks ?? 0);
}
