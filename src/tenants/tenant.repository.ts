import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Placement, TenantId, TenantState } from './tenant.js';

export const TENANT_COLUMNS = [
  'id',
  'slug',
  'name',
  'hnsw_m',
  'hnsw_ef_construction',
  'ef_search',
  'placement',
  'state',
  'created_at',
  'document_ttl_seconds',
] as const;

export type TenantRow = {
  id: number;
  slug: string;
  name: string;
  hnsw_m: number;
  hnsw_ef_construction: number;
  ef_search: number;
  placement: string;
  state: string;
  created_at: Date;
  document_ttl_seconds: number | null;
};

// Namespace of Narwhal's advisory locks (two-key form: namespace, tenant id).
export const TENANT_LOCK_NAMESPACE = 0x6e61_7277; // 'narw'

export async function insertTenant(
  db: Db,
  values: {
    slug: string;
    name: string;
    hnsw_m: number;
    hnsw_ef_construction: number;
    ef_search: number;
    placement: Placement;
    document_ttl_seconds?: number | null;
  },
): Promise<TenantRow> {
  return db.insertInto('tenants').values(values).returning(TENANT_COLUMNS).executeTakeFirstOrThrow();
}

/** Frees a deleted tenant's slug for reuse. */
export async function deleteTenantTombstone(db: Db, slug: string): Promise<void> {
  await db.deleteFrom('tenants').where('slug', '=', slug).where('state', '=', 'DELETED').execute();
}

export async function findTenantBySlug(db: Db, slug: string): Promise<TenantRow | undefined> {
  return db.selectFrom('tenants').select(TENANT_COLUMNS).where('slug', '=', slug).executeTakeFirst();
}

export async function findTenantById(db: Db, tenantId: TenantId): Promise<TenantRow | undefined> {
  return db.selectFrom('tenants').select(TENANT_COLUMNS).where('id', '=', tenantId).executeTakeFirst();
}

export async function listTenants(db: Db, state?: TenantState): Promise<TenantRow[]> {
  let query = db.selectFrom('tenants').select(TENANT_COLUMNS).orderBy('id');
  if (state) query = query.where('state', '=', state);
  return query.execute();
}

export async function updateTenant(
  db: Db,
  tenantId: TenantId,
  patch: Partial<{
    placement: Placement;
    state: TenantState;
    hnsw_m: number;
    hnsw_ef_construction: number;
    document_ttl_seconds: number | null;
  }>,
): Promise<TenantRow> {
  return db
    .updateTable('tenants')
    .set({ ...patch, ...(patch.state === 'DELETED' ? { deleted_at: sql<Date>`now()` } : {}) })
    .where('id', '=', tenantId)
    .returning(TENANT_COLUMNS)
    .executeTakeFirstOrThrow();
}

/**
 * Transaction-scoped advisory lock on one tenant. Reads and writes take it shared; moving a
 * tenant's rows (promotion, demotion, deactivation) takes it exclusive, so no request sees or
 * writes a tenant half-moved, and other tenants are never held up by it.
 */
export async function lockTenant(db: Db, tenantId: TenantId, mode: 'shared' | 'exclusive'): Promise<void> {
  const lock = mode === 'shared' ? sql`pg_advisory_xact_lock_shared` : sql`pg_advisory_xact_lock`;
  await sql`select ${lock}(${TENANT_LOCK_NAMESPACE}, ${tenantId})`.execute(db);
}
