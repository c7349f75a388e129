import { isUniqueViolation } from '../db/postgres-errors.js';
import { AppError, badUserInput, checkIntegerRange } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import { removeOffloadFile } from './offload-file.js';
import { findOffload } from './offload.repository.js';
import * as partitions from './partition.repository.js';
import { isolateDedicatedTenant } from './placement.service.js';
import * as tenants from './tenant.repository.js';
import { activeTenant, toTenant } from './tenant-row.js';
import { withTenantExclusive } from './tenant-session.js';
import { validateDocumentTtl } from './tenant-expiry.service.js';
import {
  HNSW_LIMITS,
  hnswIndexName,
  type Placement,
  SLUG_PATTERN,
  shardOf,
  type Tenant,
  type TenantId,
  type TenantState,
} from './tenant.js';

export type CreateTenantInput = {
  slug: string;
  name?: string | null;
  placement?: Placement | null;
  hnsw?: { m?: number | null; efConstruction?: number | null } | null;
  efSearch?: number | null;
  documentTtlSeconds?: number | null;
};

/** Creates a tenant: SHARED by default, or DEDICATED with its own partition and HNSW index. */
export async function createTenant(
  deps: Pick<ServiceDeps, 'database' | 'vectors' | 'tenantCache'>,
  input: CreateTenantInput,
): Promise<Tenant> {
  const values = validateTenantInput(input);
  deps.tenantCache?.forget(values.slug);
  try {
    const created = await deps.database.transaction(async (trx) => {
      await tenants.deleteTenantTombstone(trx, values.slug);
      const tenant = toTenant(await tenants.insertTenant(trx, values));
      if (tenant.placement === 'DEDICATED') {
        await partitions.createTenantPartition(trx, tenant.id);
        await partitions.createTenantIndex(trx, tenant.id, { ...tenant.hnsw, vectors: deps.vectors });
      }
      return tenant;
    });
    // After the transaction: Citus splits shards only outside one that wrote.
    await isolateDedicatedTenant(deps, created);
    return created;
  } catch (error) {
    if (isUniqueViolation(error, 'tenants_slug_key')) {
      throw new AppError('CONFLICT', `slug: a tenant with slug "${values.slug}" already exists`, 'slug');
    }
    throw error;
  }
}

/**
 * Deletes a tenant's documents (dropping its own table, or its rows in the shared pool) and
 * marks it DELETED; its slug can be reused. False when there is no such tenant.
 */
export async function deleteTenant(deps: Pick<ServiceDeps, 'database' | 'tenantCache' | 'offloadDir'>, slug: string): Promise<boolean> {
  deps.tenantCache?.forget(slug);
  const row = await tenants.findTenantBySlug(deps.database.db, slug);
  if (!row || row.state === 'DELETED') return false;
  const offload = await withTenantExclusive(deps.database, row.id as TenantId, async (trx, tenant) => {
    if (tenant.placement === 'SHARED' && tenant.state === 'ACTIVE') await partitions.deleteSharedRows(trx, tenant.id);
    else await partitions.dropTenantTable(trx, tenant.id);
    const offloaded = await findOffload(trx, tenant.id);
    await tenants.updateTenant(trx, tenant.id, { state: 'DELETED' });
    return offloaded;
  });
  // An offloaded tenant's documents are its archive: deleted once the tenant is (a file left by a crash here names a DELETED tenant).
  if (offload && deps.offloadDir) await removeOffloadFile(deps.offloadDir, offload.offload_file);
  return true;
}

/** The tenant with this slug, in any state but DELETED. */
export async function findTenantBySlug(deps: Pick<ServiceDeps, 'database'>, slug: string): Promise<Tenant | undefined> {
  const row = await tenants.findTenantBySlug(deps.database.db, slug);
  return row && row.state !== 'DELETED' ? toTenant(row) : undefined;
}

/** The tenant as stored now; TENANT_NOT_FOUND once deleted, TENANT_INACTIVE while inactive. */
export async function requireTenantById(deps: Pick<ServiceDeps, 'database'>, tenantId: TenantId): Promise<Tenant> {
  return activeTenant(await tenants.findTenantById(deps.database.db, tenantId));
}

export async function requireTenantBySlug(deps: Pick<ServiceDeps, 'database'>, slug: string): Promise<Tenant> {
  const tenant = await findTenantBySlug(deps, slug);
  if (!tenant) throw new AppError('TENANT_NOT_FOUND', `No tenant with slug "${slug.slice(0, 63)}"`, 'slug');
  return tenant;
}

export async function listTenants(deps: Pick<ServiceDeps, 'database'>, state?: TenantState): Promise<Tenant[]> {
  return (await tenants.listTenants(deps.database.db, state)).map(toTenant);
}

/** How many unexpired documents the tenant holds, wherever they are (shared pool, own table, detached). */
export async function countDocuments(deps: Pick<ServiceDeps, 'database'>, tenant: Tenant): Promise<number> {
  if (tenant.state === 'DELETED') return 0;
  if (tenant.state === 'INACTIVE') return partitions.countTenantTableRows(deps.database.db, tenant.id);
  if (tenant.state === 'OFFLOADED') return Number((await findOffload(deps.database.db, tenant.id))?.offload_documents ?? 0);
  return partitions.countVisibleTenantDocuments(deps.database.db, shardOf(tenant));
}

/** Drops a dedicated tenant's HNSW index: searches fall back to an exact scan (benchmarks compare both). */
export async function dropSearchIndex(deps: Pick<ServiceDeps, 'database'>, tenant: Tenant): Promise<void> {
  await partitions.dropIndex(deps.database.db, hnswIndexName(tenant.id));
}

/** Builds a dedicated tenant's HNSW index with its stored settings, if it is missing. */
export async function buildSearchIndex(deps: Pick<ServiceDeps, 'database' | 'vectors'>, tenant: Tenant): Promise<void> {
  await partitions.createTenantIndex(deps.database.db, tenant.id, { ...tenant.hnsw, vectors: deps.vectors });
}

export function validateHnswSettings(input: { m?: number | null; efConstruction?: number | null } | null | undefined) {
  const m = inRange('hnsw.m', input?.m, HNSW_LIMITS.m);
  const efConstruction = inRange('hnsw.efConstruction', input?.efConstruction, HNSW_LIMITS.efConstruction);
  if (efConstruction < 2 * m) {
    throw badUserInput('hnsw.efConstruction', `must be at least 2 * m (${2 * m}); pgvector requires it`);
  }
  return { m, efConstruction };
}

function validateTenantInput(input: CreateTenantInput) {
  if (!SLUG_PATTERN.test(input.slug)) {
    throw badUserInput('slug', 'must be 1-63 characters of lowercase letters, digits, "-" and "_"');
  }
  const name = input.name ?? input.slug;
  if (name.trim() === '' || name.length > 200) throw badUserInput('name', 'must be 1-200 characters');
  const { m, efConstruction } = validateHnswSettings(input.hnsw);
  const efSearch = inRange('efSearch', input.efSearch, HNSW_LIMITS.efSearch);
  return {
    slug: input.slug,
    name,
    hnsw_m: m,
    hnsw_ef_construction: efConstruction,
    ef_search: efSearch,
    placement: input.placement ?? 'SHARED',
    document_ttl_seconds: validateDocumentTtl(input.documentTtlSeconds),
  };
}

function inRange(field: string, value: number | null | undefined, limits: { min: number; max: number; default: number }) {
  return value === null || value === undefined ? limits.default : checkIntegerRange(field, value, limits);
}
