import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import { HNSW_OPERATOR_CLASS, type DistanceMetric } from '../search/distance.js';
import { prewarmIndex } from './maintenance.service.js';
import * as partitions from './partition.repository.js';
import { updateTenant } from './tenant.repository.js';
import { toTenant, withTenantExclusive } from './tenant-scope.js';
import type { Tenant, TenantId } from './tenant.js';

type Deps = { db: Db; metric: DistanceMetric };

/*
 * Moving a tenant's rows happens in one transaction holding the tenant's lock exclusively:
 * its own requests wait for the move (they take the lock shared), other tenants' do not, and
 * MVCC means nobody sees the tenant half-moved. The expensive part (copy, index build) runs
 * before any lock on the shared parent table is taken; ATTACH only needs SHARE UPDATE EXCLUSIVE
 * there, and the DETACH/DROP that need ACCESS EXCLUSIVE come last, just before commit.
 */

/** Moves a shared tenant into its own partition with an HNSW index. No-op when already dedicated. */
export async function promoteTenantById(deps: Deps, tenantId: TenantId): Promise<Tenant> {
  return withTenantExclusive(deps.db, tenantId, async (trx, tenant) => {
    requireActive(tenant, 'promoted');
    if (tenant.placement === 'DEDICATED') return tenant;
    await partitions.createDetachedTenantTable(trx, tenant.id);
    await partitions.copySharedRowsToTenantTable(trx, tenant.id);
    // Building the graph once over all rows is much faster than growing it row by row.
    await partitions.createTenantIndex(trx, tenant.id, { ...tenant.hnsw, operatorClass: HNSW_OPERATOR_CLASS[deps.metric] });
    await partitions.deleteSharedRows(trx, tenant.id);
    await partitions.attachTenantPartition(trx, tenant.id);
    await partitions.analyzeTenantPartition(trx, tenant.id);
    return toTenant(await updateTenant(trx, tenant.id, { placement: 'DEDICATED' }));
  });
}

/** Moves a dedicated tenant's rows back into the shared pool and drops its partition. */
export async function demoteTenant(deps: Deps, tenant: Tenant): Promise<Tenant> {
  return withTenantExclusive(deps.db, tenant.id, async (trx, current) => {
    requireActive(current, 'demoted');
    if (current.placement === 'SHARED') return current;
    await partitions.copyTenantTableRowsToShared(trx, current.id);
    await partitions.dropTenantTable(trx, current.id);
    return toTenant(await updateTenant(trx, current.id, { placement: 'SHARED' }));
  });
}

/** Takes the tenant's rows out of the searchable table (a detached table keeps them). */
export async function deactivateTenant(deps: Deps, tenant: Tenant): Promise<Tenant> {
  return withTenantExclusive(deps.db, tenant.id, async (trx, current) => {
    if (current.state === 'INACTIVE') return current;
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
  return withTenantExclusive(deps.db, tenant.id, async (trx, current) => {
    if (current.state === 'ACTIVE') return current;
    if (current.placement === 'DEDICATED') {
      await partitions.attachTenantPartition(trx, current.id);
    } else {
      await partitions.copyTenantTableRowsToShared(trx, current.id);
      await partitions.dropTenantTable(trx, current.id);
    }
    return toTenant(await updateTenant(trx, current.id, { state: 'ACTIVE' }));
  });
}

function requireActive(tenant: Tenant, action: string): void {
  if (tenant.state !== 'ACTIVE') {
    throw new AppError('FAILED_PRECONDITION', `Tenant "${tenant.slug}" is ${tenant.state} and cannot be ${action}`);
  }
}
