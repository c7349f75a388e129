import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { type HnswSettings, type TenantId, hnswIndexName, partitionName } from './tenant.js';

const TENANT_COLUMNS = ['id', 'slug', 'name', 'hnsw_m', 'hnsw_ef_construction', 'ef_search', 'created_at'] as const;

export type TenantRow = {
  id: number;
  slug: string;
  name: string;
  hnsw_m: number;
  hnsw_ef_construction: number;
  ef_search: number;
  created_at: Date;
};

export async function insertTenant(
  db: Db,
  values: { slug: string; name: string; hnsw_m: number; hnsw_ef_construction: number; ef_search: number },
): Promise<TenantRow> {
  return db.insertInto('tenants').values(values).returning(TENANT_COLUMNS).executeTakeFirstOrThrow();
}

export async function findTenantBySlug(db: Db, slug: string): Promise<TenantRow | undefined> {
  return db.selectFrom('tenants').select(TENANT_COLUMNS).where('slug', '=', slug).executeTakeFirst();
}

export async function deleteTenant(db: Db, tenantId: TenantId): Promise<void> {
  await db.deleteFrom('tenants').where('id', '=', tenantId).execute();
}

export async function createTenantPartition(db: Db, tenantId: TenantId): Promise<void> {
  await sql`create table ${sql.table(partitionName(tenantId))}
    partition of documents for values in (${sql.lit(tenantId)})`.execute(db);
}

export async function dropTenantPartition(db: Db, tenantId: TenantId): Promise<void> {
  await sql`drop table if exists ${sql.table(partitionName(tenantId))}`.execute(db);
}

/** operatorClass must come from HNSW_OPERATOR_CLASS: it is spliced in as an identifier. */
export async function createTenantIndex(
  db: Db,
  tenantId: TenantId,
  settings: HnswSettings & { operatorClass: string },
): Promise<void> {
  await sql`create index if not exists ${sql.id(hnswIndexName(tenantId))}
    on ${sql.table(partitionName(tenantId))}
    using hnsw (embedding ${sql.raw(settings.operatorClass)})
    with (m = ${sql.lit(settings.m)}, ef_construction = ${sql.lit(settings.efConstruction)})`.execute(db);
}

export async function dropTenantIndex(db: Db, tenantId: TenantId): Promise<void> {
  await sql`drop index if exists ${sql.id(hnswIndexName(tenantId))}`.execute(db);
}

export async function countTenantDocuments(db: Db, tenantId: TenantId): Promise<number> {
  const { count } = await db
    .selectFrom('documents')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** Refreshes the planner's statistics for the tenant's partition (row count, tenant_id values). */
export async function analyzeTenantPartition(db: Db, tenantId: TenantId): Promise<void> {
  await sql`analyze ${sql.table(partitionName(tenantId))}`.execute(db);
}
