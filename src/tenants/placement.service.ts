import { isolateTenantToOwnShard } from '../db/citus-tenant-isolation.js';
import { type WorkerNode, findTenantPlacement, listWorkers, moveShard } from '../db/citus-placement.js';
import type { Database } from '../db/database.js';
import type { VectorLayout } from '../db/vector-storage.js';
import { AppError, badUserInput } from '../domain-errors.js';
import { prewarmIndex } from './maintenance.service.js';
import * as partitions from './partition.repository.js';
import { updateTenant } from './tenant.repository.js';
import { toTenant } from './tenant-row.js';
import { withTenantExclusive } from './tenant-session.js';
import type { Tenant, TenantId } from './tenant.js';

type Deps = { database: Database; vectors: VectorLayout };

/*
 * Moving a tenant's rows happens in one transaction holding the tenant's lock exclusively:
 * its own requests wait for the move (they take the lock shared), other tenants' do not, and
 * MVCC means nobody sees the tenant half-moved. The expensive part (copy, index build) runs
 * before any lock on the shared parent table is taken; ATTACH only needs SHARE UPDATE EXCLUSIVE
 * there, and the DETACH/DROP that need ACCESS EXCLUSIVE come last, just before commit.
 */

/**
 * Moves a shared tenant into its own partition with an HNSW index. No-op when already dedicated.
 * Where the database is distributed (Citus) the tenant then gets a shard of its own too (isolateDedicatedTenant).
 */
export async function promoteTenantById(deps: Deps, tenantId: TenantId): Promise<Tenant> {
  const promoted = await moveIntoOwnPartition(deps, tenantId);
  await isolateDedicatedTenant(deps, promoted);
  return promoted;
}

async function moveIntoOwnPartition(deps: Deps, tenantId: TenantId): Promise<Tenant> {
  return withTenantExclusive(deps.database, tenantId, async (trx, tenant) => {
    requireActive(tenant, 'promoted');
    if (tenant.placement === 'DEDICATED') return tenant;
    await partitions.createDetachedTenantTable(trx, tenant.id);
    await partitions.copySharedRowsToTenantTable(trx, tenant.id);
    // Building the graph once over all rows is much faster than growing it row by row.
    await partitions.createTenantIndex(trx, tenant.id, { ...tenant.hnsw, vectors: deps.vectors });
    await partitions.deleteSharedRows(trx, tenant.id);
    await partitions.attachTenantPartition(trx, tenant.id);
    await partitions.analyzeTenantPartition(trx, tenant.id);
    return toTenant(await updateTenant(trx, tenant.id, { placement: 'DEDICATED' }));
  });
}

/** Moves a dedicated tenant's rows back into the shared pool and drops its partition. */
export async function demoteTenant(deps: Deps, tenant: Tenant): Promise<Tenant> {
  return withTenantExclusive(deps.database, tenant.id, async (trx, current) => {
    requireActive(current, 'demoted');
    if (current.placement === 'SHARED') return current;
    await partitions.copyTenantTableRowsToShared(trx, current.id);
    await partitions.dropTenantTable(trx, current.id);
    return toTenant(await updateTenant(trx, current.id, { placement: 'SHARED' }));
  });
}

/** Takes the tenant's rows out of the searchable table (a detached table keeps them). */
export async function deactivateTenant(deps: Deps, tenant: Tenant): Promise<Tenant> {
  return withTenantExclusive(deps.database, tenant.id, async (trx, current) => {
    if (current.state === 'INACTIVE') return current;
    if (current.state === 'OFFLOADED') throw new AppError('FAILED_PRECONDITION', `Tenant "${current.slug}" is OFFLOADED: activate it first`);
    if (current.placement === 'DEDICATED') {
      await partitions.detachTenantPartition(trx, current.id);
    } else {
      await partitions.createDetachedTenantTable(trx, current.id);
      await partitions.copySharedRowsToTenantTable(trx, current.id);
      await partitions.deleteSharedRows(trx, current.id);
    }
    return toTenant(await updateTenant(trx, current.id, { state: 'INACTIVE' }));
  });
}

/** Puts an inactive tenant's rows back where its placement says, then prewarms its index. */
export async function activateTenant(deps: Deps, tenant: Tenant): Promise<Tenant> {
  const activated = await reattach(deps, tenant);
  // Where pg_prewarm exists, load the index now rather than on the first searches' time.
  if (activated.placement === 'DEDICATED') await prewarmIndex(deps, activated);
  return activated;
}

async function reattach(deps: Deps, tenant: Tenant): Promise<Tenant> {
  return withTenantExclusive(deps.database, tenant.id, async (trx, current) => {
    if (current.state === 'ACTIVE') return current;
    // Offloaded since the caller looked: restoring is offload.service's (activateOrRestoreTenant).
    if (current.state === 'OFFLOADED') throw new AppError('FAILED_PRECONDITION', `Tenant "${current.slug}" was offloaded meanwhile: call activateTenant again`);
    if (current.placement === 'DEDICATED') {
      await partitions.attachTenantPartition(trx, current.id);
    } else {
      await partitions.copyTenantTableRowsToShared(trx, current.id);
      await partitions.dropTenantTable(trx, current.id);
    }
    return toTenant(await updateTenant(trx, current.id, { state: 'ACTIVE' }));
  });
}

/**
 * On Citus a DEDICATED tenant is alone in a shard group of its own: its partition's rows and HNSW
 * index sit in one shard that holds no other tenant, which placeTenant can move to a worker of its
 * own. Citus splits the shard group holding the tenant's hash (documents and every partition
 * alike, so each isolation adds two shards to every partition), blocking writes to that group
 * while it copies it; they wait, they are not refused. Citus refuses to split inside a transaction
 * that has written, so this runs after the promotion commits; it is idempotent, and a tenant left
 * unisolated by a failure here is isolated by the next promotion or placeTenant.
 */
export async function isolateDedicatedTenant(deps: Deps, tenant: Tenant): Promise<void> {
  if (!deps.database.distributed || tenant.placement !== 'DEDICATED' || tenant.state !== 'ACTIVE') return;
  await isolateTenantToOwnShard(deps.database.db, tenant.id, { shardTransferMode: 'block_writes' });
}

/** The Citus worker holding the tenant's rows, as host:port; null elsewhere. */
export async function findTenantWorker(deps: Deps, tenant: Tenant): Promise<string | null> {
  if (!deps.database.distributed || tenant.state === 'DELETED') return null;
  const placement = await findTenantPlacement(deps.database.db, 'documents', tenant.id);
  return placement ? `${placement.host}:${placement.port}` : null;
}

/**
 * Citus: moves a DEDICATED tenant's shard group (its rows and HNSW index, isolated first if need
 * be) to the worker named host:port. Writes to the tenant wait while the shard is copied.
 */
export async function placeTenant(deps: Deps, tenant: Tenant, worker: string): Promise<Tenant> {
  if (!deps.database.distributed) throw new AppError('FAILED_PRECONDITION', 'Placing a tenant on a worker needs a Citus cluster');
  if (tenant.placement !== 'DEDICATED' || tenant.state !== 'ACTIVE') {
    throw new AppError('FAILED_PRECONDITION', `Tenant "${tenant.slug}" must be ACTIVE and DEDICATED to be placed on a worker (promote it first)`);
  }
  const workers = await listWorkers(deps.database.db);
  const target = workers.find((candidate) => `${candidate.host}:${candidate.port}` === worker);
  if (!target) throw badWorker(worker, workers);
  await isolateDedicatedTenant(deps, tenant);
  const placement = await findTenantPlacement(deps.database.db, 'documents', tenant.id);
  if (!placement) throw new Error(`no shard placement found for tenant ${tenant.id}`);
  if (placement.host !== target.host || placement.port !== target.port) await moveShard(deps.database.db, placement, target, 'block_writes');
  return tenant;
}

function badWorker(worker: string, workers: WorkerNode[]): AppError {
  const names = workers.map((candidate) => `${candidate.host}:${candidate.port}`).join(', ');
  return badUserInput('worker', `"${worker}" is not an active worker; the workers are ${names}`);
}

function requireActive(tenant: Tenant, action: string): void {
  if (tenant.state !== 'ACTIVE') {
    throw new AppError('FAILED_PRECONDITION', `Tenant "${tenant.slug}" is ${tenant.state} and cannot be ${action}`);
  }
}
