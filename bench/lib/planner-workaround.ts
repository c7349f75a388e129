/**
 * Opt-in (BENCH_PLANNER_WORKAROUND=1) stand-in for a server-side fix, so HNSW can be measured
 * before src/ plans it by itself. Without it the planner never picks the HNSW index here:
 * - a partition that was never analyzed (PGlite runs no autovacuum) has no statistics on
 *   tenant_id, so `tenant_id = N` is estimated at 0.5% of rows and a btree bitmap scan plus a
 *   top-N sort looks cheapest;
 * - even analyzed, 512-dimension vectors (about 2 kB) are TOASTed out of line, and a sequential
 *   scan's cost leaves out reading them, so seq scan + sort still beats the HNSW estimate.
 * Raw SQL lives in this one bench file, not in src/, because it exists only until src/ fixes this.
 */
import { sql } from 'kysely';
import type { Db } from '../../src/db/database.js';
import { partitionName, type Tenant } from '../../src/tenants/tenant.js';

/** Before loading: keeps the tenant's vectors in the heap, where the planner counts their cost. */
export async function storeEmbeddingsInline(db: Db, tenant: Tenant): Promise<void> {
  await sql`alter table ${sql.table(partitionName(tenant.id))} alter column embedding set storage plain`.execute(db);
}

/** After loading: gives the planner row counts and tenant_id statistics for the partition. */
export async function analyzeTenantPartition(db: Db, tenant: Tenant): Promise<void> {
  await sql`analyze ${sql.table(partitionName(tenant.id))}`.execute(db);
}
