import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { type VectorLayout, hnswIndexTarget } from '../db/vector-storage.js';
import { type HnswSettings, SHARED_SHARD, type TenantId, type TenantShard, hnswIndexName, partitionName } from './tenant.js';
import { secureDocumentsTable } from './tenant-session.repository.js';
import { notExpired } from '../documents/document-expiry.sql.js';

// Every column but the partition key, for moving rows between shards with ids and timestamps kept.
const MOVED_COLUMNS = sql.raw(
  'id, tenant_id, external_id, content, metadata, embedding, embedding_model, content_hash, created_at, updated_at, expires_at',
);

const table = (tenantId: TenantId) => sql.table(partitionName(tenantId));

/**
 * A new dedicated tenant's partition (shard = its id). Row-level security is not inherited by
 * partitions: every table this file creates gets documents' policies right away.
 */
export async function createTenantPartition(db: Db, tenantId: TenantId): Promise<void> {
  await sql`create table ${table(tenantId)} partition of documents for values in (${sql.lit(tenantId)})`.execute(db);
  await secureDocumentsTable(db, partitionName(tenantId));
}

/**
 * A standalone table shaped like documents (columns, defaults, checks, indexes) for one tenant,
 * to fill before attaching. The shard check lets ATTACH skip scanning it.
 */
export async function createDetachedTenantTable(db: Db, tenantId: TenantId): Promise<void> {
  await sql`create table ${table(tenantId)} (like documents including all)`.execute(db);
  await sql`alter table ${table(tenantId)} add constraint ${sql.id(`${partitionName(tenantId)}_shard`)}
    check (shard = ${sql.lit(tenantId)})`.execute(db);
  await secureDocumentsTable(db, partitionName(tenantId));
}

export async function attachTenantPartition(db: Db, tenantId: TenantId): Promise<void> {
  await sql`alter table documents attach partition ${table(tenantId)} for values in (${sql.lit(tenantId)})`.execute(db);
}

export async function detachTenantPartition(db: Db, tenantId: TenantId): Promise<void> {
  await sql`alter table documents detach partition ${table(tenantId)}`.execute(db);
}

export async function dropTenantTable(db: Db, tenantId: TenantId): Promise<void> {
  await sql`drop table if exists ${table(tenantId)}`.execute(db);
}

/** Copies the tenant's rows from the shared pool into its own table. */
export async function copySharedRowsToTenantTable(db: Db, tenantId: TenantId): Promise<void> {
  await sql`insert into ${table(tenantId)} (${MOVED_COLUMNS}, shard)
    select ${MOVED_COLUMNS}, ${sql.lit(tenantId)} from documents
    where shard = ${SHARED_SHARD} and tenant_id = ${tenantId}`.execute(db);
}

/** Copies the tenant's rows from its own table (attached or not) into the shared pool. */
export async function copyTenantTableRowsToShared(db: Db, tenantId: TenantId): Promise<void> {
  await sql`insert into documents (${MOVED_COLUMNS}, shard)
    select ${MOVED_COLUMNS}, ${SHARED_SHARD} from ${table(tenantId)}`.execute(db);
}

export async function deleteSharedRows(db: Db, tenantId: TenantId): Promise<void> {
  await db.deleteFrom('documents').where('shard', '=', SHARED_SHARD).where('tenant_id', '=', tenantId).execute();
}

/** The index's expression and operator class follow the deployment's layout (db/vector-storage.ts). */
export async function createTenantIndex(
  db: Db,
  tenantId: TenantId,
  settings: HnswSettings & { vectors: VectorLayout },
  options: { name?: string; concurrently?: boolean } = {},
): Promise<void> {
  await sql`create index ${sql.raw(options.concurrently ? 'concurrently' : '')} if not exists
    ${sql.id(options.name ?? hnswIndexName(tenantId))} on ${table(tenantId)}
    using hnsw (${hnswIndexTarget(settings.vectors)})
    with (m = ${sql.lit(settings.m)}, ef_construction = ${sql.lit(settings.efConstruction)})`.execute(db);
}

export async function dropIndex(db: Db, name: string): Promise<void> {
  await sql`drop index if exists ${sql.id(name)}`.execute(db);
}

export async function renameIndex(db: Db, from: string, to: string): Promise<void> {
  await sql`alter index ${sql.id(from)} rename to ${sql.id(to)}`.execute(db);
}

/** Refreshes the planner's statistics for the tenant's table (row count, value distributions). */
export async function analyzeTenantPartition(db: Db, tenantId: TenantId): Promise<void> {
  await sql`analyze ${table(tenantId)}`.execute(db);
}

/** VACUUM cannot run inside a transaction: db must not be one. */
export async function vacuumAnalyze(db: Db, tableName: string): Promise<void> {
  await sql`vacuum (analyze) ${sql.table(tableName)}`.execute(db);
}

/** Rows in the tenant's own table, attached or detached (inactive tenants). */
export async function countTenantTableRows(db: Db, tenantId: TenantId): Promise<number> {
  const { rows } = await sql<{ count: string }>`select count(*) as count from ${table(tenantId)} where ${notExpired()}`.execute(db);
  return Number(rows[0]?.count ?? 0);
}

/** Rows of an active tenant, in the shard it lives in. */
export async function countTenantDocuments(db: Db, shard: TenantShard): Promise<number> {
  const { count } = await db
    .selectFrom('documents')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('shard', '=', shard.shard)
    .where('tenant_id', '=', shard.tenantId)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/**
 * Rows of an active tenant a client can see: not expired. countTenantDocuments counts expired
 * rows the purge has not deleted yet too: they still take room (quota, promotion).
 */
export async function countVisibleTenantDocuments(db: Db, shard: TenantShard): Promise<number> {
  const { count } = await db
    .selectFrom('documents')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('shard', '=', shard.shard)
    .where('tenant_id', '=', shard.tenantId)
    .where(notExpired())
    .executeTakeFirstOrThrow();
  return Number(count);
}
