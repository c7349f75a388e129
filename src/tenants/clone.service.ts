import { isUniqueViolation } from '../db/postgres-errors.js';
import { AppError, badUserInput } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import { copyTenantDocuments } from './clone.repository.js';
import * as partitions from './partition.repository.js';
import { isolateDedicatedTenant } from './placement.service.js';
import * as tenants from './tenant.repository.js';
import { toTenant } from './tenant-row.js';
import { SLUG_PATTERN, type Tenant, type TenantId, shardOf } from './tenant.js';

type Deps = Pick<ServiceDeps, 'database' | 'vectors' | 'tenantCache'>;

/**
 * Copies an ACTIVE tenant under a new slug, for staging and experiments: its documents (same
 * vectors, metadata, models and timestamps; new internal ids), its HNSW settings, efSearch and
 * placement, and for a DEDICATED tenant a partition and index of its own, built once over the
 * copied rows. One transaction: the clone appears whole or not at all. The source's lock is
 * held shared, so its requests go on, while promotion, deactivation or offload wait for the copy.
 */
export async function cloneTenant(deps: Deps, input: { from: string; to: string }): Promise<Tenant> {
  if (!SLUG_PATTERN.test(input.to)) throw badUserInput('to', 'must be 1-63 characters of lowercase letters, digits, "-" and "_"');
  const sourceRow = await tenants.findTenantBySlug(deps.database.db, input.from);
  if (!sourceRow || sourceRow.state === 'DELETED') throw new AppError('TENANT_NOT_FOUND', `from: no tenant with slug "${input.from.slice(0, 63)}"`, 'from');
  deps.tenantCache?.forget(input.to);
  try {
    const clone = await deps.database.transaction(async (trx) => {
      await deps.database.prepareForRowMoves(trx);
      await tenants.lockTenant(trx, sourceRow.id as TenantId, 'shared');
      const currentRow = await tenants.findTenantById(trx, sourceRow.id as TenantId);
      const source = currentRow ? toTenant(currentRow) : undefined;
      if (!source || source.state !== 'ACTIVE') {
        throw new AppError('FAILED_PRECONDITION', `from: tenant "${input.from}" is ${source?.state ?? 'gone'}; only an ACTIVE tenant can be cloned`, 'from');
      }
      await tenants.deleteTenantTombstone(trx, input.to);
      const created = toTenant(
        await tenants.insertTenant(trx, {
          slug: input.to,
          name: source.name,
          hnsw_m: source.hnsw.m,
          hnsw_ef_construction: source.hnsw.efConstruction,
          ef_search: source.efSearch,
          placement: source.placement,
        }),
      );
      if (created.placement === 'SHARED') {
        await copyTenantDocuments(trx, shardOf(source), { ...shardOf(created), table: 'documents' });
        return created;
      }
      await partitions.createDetachedTenantTable(trx, created.id);
      await copyTenantDocuments(trx, shardOf(source), { ...shardOf(created), table: 'own' });
      await partitions.createTenantIndex(trx, created.id, { ...created.hnsw, vectors: deps.vectors });
      await partitions.attachTenantPartition(trx, created.id);
      await partitions.analyzeTenantPartition(trx, created.id);
      return created;
    });
    // After the commit, as for createTenant: Citus splits shards only outside a transaction that wrote.
    await isolateDedicatedTenant(deps, clone);
    return clone;
  } catch (error) {
    if (isUniqueViolation(error, 'tenants_slug_key')) {
      throw new AppError('CONFLICT', `to: a tenant with slug "${input.to}" already exists`, 'to');
    }
    throw error;
  }
}
