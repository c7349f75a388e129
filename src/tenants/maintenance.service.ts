import type { Database } from '../db/database.js';
import type { VectorLayout } from '../db/vector-storage.js';
import { AppError } from '../domain-errors.js';
import * as maintenance from './maintenance.repository.js';
import * as partitions from './partition.repository.js';
import { updateTenant } from './tenant.repository.js';
import { toTenant } from './tenant-row.js';
import { withTenantExclusive } from './tenant-session.js';
import { type HnswSettings, type Tenant, hnswIndexName, partitionName } from './tenant.js';

// Spelled out rather than picked from ServiceDeps: placement.service (which the background
// maintenance in ServiceDeps uses) calls into this file, and a Pick would close a type circle.
type Deps = { database: Database; vectors: VectorLayout };

export type IndexBuildProgress = {
  phase: string;
  blocksDone: number;
  blocksTotal: number;
  tuplesDone: number;
  tuplesTotal: number;
};

export type PrewarmResult = { available: boolean; blocksLoaded: number | null; message: string };

/** VACUUM ANALYZE of the tenant's table (or of every document table); returns what was vacuumed. */
export async function vacuumAnalyze(deps: Deps, tenant?: Tenant): Promise<string> {
  // VACUUM refuses to run in a transaction: this goes straight to the pool, never through a tenant session.
  const target = !tenant ? 'documents' : tenant.placement === 'SHARED' && tenant.state === 'ACTIVE' ? 'documents_shared' : partitionName(tenant.id);
  await partitions.vacuumAnalyze(deps.database.db, target);
  return target;
}

/**
 * Rebuilds a dedicated tenant's HNSW index with new settings without blocking its searches:
 * the new index is built CONCURRENTLY beside the old one, then swapped in a short transaction.
 */
export async function rebuildIndex(deps: Deps, tenant: Tenant, settings: HnswSettings): Promise<Tenant> {
  if (tenant.placement !== 'DEDICATED' || tenant.state !== 'ACTIVE') {
    throw new AppError('FAILED_PRECONDITION', `Tenant "${tenant.slug}" has no index of its own: only an active DEDICATED tenant does`);
  }
  const next = `${hnswIndexName(tenant.id)}_next`;
  await partitions.dropIndex(deps.database.db, next); // a leftover from an interrupted rebuild is invalid
  await partitions.createTenantIndex(
    deps.database.db,
    tenant.id,
    { ...settings, vectors: deps.vectors },
    { name: next, concurrently: true },
  );
  return withTenantExclusive(deps.database, tenant.id, async (trx) => {
    await partitions.dropIndex(trx, hnswIndexName(tenant.id));
    await partitions.renameIndex(trx, next, hnswIndexName(tenant.id));
    return toTenant(
      await updateTenant(trx, tenant.id, { hnsw_m: settings.m, hnsw_ef_construction: settings.efConstruction }),
    );
  });
}

/** The HNSW index build running on the tenant's table right now, if any. */
export async function findIndexBuildProgress(deps: Deps, tenant: Tenant): Promise<IndexBuildProgress | null> {
  const row = await maintenance.findIndexBuildProgress(deps.database.db, tenant.id, deps.database);
  if (!row) return null;
  return {
    phase: row.phase,
    blocksDone: Number(row.blocks_done),
    blocksTotal: Number(row.blocks_total),
    tuplesDone: Number(row.tuples_done),
    tuplesTotal: Number(row.tuples_total),
  };
}

/** Size of the tenant's HNSW index in bytes; null for a shared tenant (exact search, no index). */
export async function findIndexSizeBytes(deps: Deps, tenant: Tenant): Promise<number | null> {
  if (tenant.placement !== 'DEDICATED' || tenant.state === 'DELETED') return null;
  return maintenance.findIndexSizeBytes(deps.database.db, tenant.id, deps.database);
}

/** Loads the tenant's HNSW index into memory with pg_prewarm, or says why it cannot. */
export async function prewarmIndex(deps: Deps, tenant: Tenant): Promise<PrewarmResult> {
  if (tenant.placement !== 'DEDICATED' || tenant.state !== 'ACTIVE') {
    return { available: true, blocksLoaded: null, message: `Tenant "${tenant.slug}" has no index of its own to prewarm` };
  }
  if (!(await maintenance.isExtensionAvailable(deps.database.db, 'pg_prewarm'))) {
    return {
      available: false,
      blocksLoaded: null,
      message: 'pg_prewarm is not available on this database (the embedded engine does not ship it); the index loads on first use',
    };
  }
  await maintenance.createPrewarmExtension(deps.database.db);
  const blocksLoaded = await maintenance.prewarmTenantIndex(deps.database.db, tenant.id, deps.database);
  return { available: true, blocksLoaded, message: `Loaded ${blocksLoaded} blocks of ${hnswIndexName(tenant.id)}` };
}
