import { sql } from 'kysely';
import { findTenantPlacement, queryOnWorker, shardObjectName } from '../db/citus-placement.js';
import type { Db } from '../db/database.js';
import { type TenantId, hnswIndexName, partitionName } from './tenant.js';

/**
 * Where the tenant's index lives. On Citus, a statement on the coordinator would read its empty
 * local copy: these statements run on the worker holding the tenant's shard of its partition,
 * naming the shard's table and index.
 */
export type Engine = { distributed: boolean };

/** Runs the statement for the tenant's table and index where they hold rows; see Engine. */
async function onTenantShard(
  db: Db,
  tenantId: TenantId,
  statement: (names: { table: string; index: string }) => string,
): Promise<string | null | undefined> {
  const placement = await findTenantPlacement(db, partitionName(tenantId), tenantId);
  if (!placement) return undefined;
  const names = { table: shardObjectName(partitionName(tenantId), placement), index: shardObjectName(hnswIndexName(tenantId), placement) };
  return queryOnWorker(db, placement, statement(names));
}

export async function findIndexSizeBytes(db: Db, tenantId: TenantId, engine: Engine): Promise<number | null> {
  if (engine.distributed) {
    const bytes = await onTenantShard(db, tenantId, ({ index }) => `select pg_relation_size(to_regclass('${index}'))`);
    return bytes === null || bytes === undefined ? null : Number(bytes);
  }
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
export async function findIndexBuildProgress(db: Db, tenantId: TenantId, engine: Engine): Promise<IndexBuildProgressRow | undefined> {
  if (engine.distributed) {
    const row = await onTenantShard(
      db,
      tenantId,
      ({ table }) => `select row_to_json(p)::text from (select phase, blocks_done, blocks_total, tuples_done, tuples_total
        from pg_stat_progress_create_index where relid = to_regclass('${table}')) as p`,
    );
    return row ? (JSON.parse(row) as IndexBuildProgressRow) : undefined;
  }
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
export async function prewarmTenantIndex(db: Db, tenantId: TenantId, engine: Engine): Promise<number> {
  if (engine.distributed) {
    const blocks = await onTenantShard(db, tenantId, ({ index }) => `select pg_prewarm(to_regclass('${index}'))`);
    return Number(blocks ?? 0);
  }
  const { rows } = await sql<{ blocks: number }>`
    select pg_prewarm(to_regclass(${hnswIndexName(tenantId)})) as blocks`.execute(db);
  return Number(rows[0]?.blocks ?? 0);
}
