import { withTransaction } from '../db/database.js';
import { isUniqueViolation } from '../db/postgres-errors.js';
import { AppError, badUserInput } from '../errors.js';
import { HNSW_OPERATOR_CLASS } from '../search/distance.js';
import type { ServiceDeps } from '../service-deps.js';
import * as tenants from './tenant.repository.js';
import { HNSW_LIMITS, SLUG_PATTERN, type Tenant, type TenantId } from './tenant.js';

export type CreateTenantInput = {
  slug: string;
  name?: string | null;
  hnsw?: { m?: number | null; efConstruction?: number | null } | null;
  efSearch?: number | null;
};

/** Creates a tenant with its own partition and HNSW index, all in one transaction. */
export async function createTenant(deps: Pick<ServiceDeps, 'db' | 'metric'>, input: CreateTenantInput): Promise<Tenant> {
  const values = validateTenantInput(input);
  try {
    return await withTransaction(deps.db, async (trx) => {
      const row = await tenants.insertTenant(trx, values);
      const tenant = toTenant(row);
      await tenants.createTenantPartition(trx, tenant.id);
      await tenants.createTenantIndex(trx, tenant.id, {
        ...tenant.hnsw,
        operatorClass: HNSW_OPERATOR_CLASS[deps.metric],
      });
      return tenant;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'tenants_slug_key')) {
      throw new AppError('CONFLICT', `slug: a tenant with slug "${values.slug}" already exists`, 'slug');
    }
    throw error;
  }
}

/** Deletes a tenant and drops its partition; false when there was no such tenant. */
export async function deleteTenant(deps: Pick<ServiceDeps, 'db'>, slug: string): Promise<boolean> {
  return withTransaction(deps.db, async (trx) => {
    const row = await tenants.findTenantBySlug(trx, slug);
    if (!row) return false;
    const id = row.id as TenantId;
    // Dropping the partition first is cheaper than cascading the delete row by row.
    await tenants.dropTenantPartition(trx, id);
    await tenants.deleteTenant(trx, id);
    return true;
  });
}

export async function findTenantBySlug(deps: Pick<ServiceDeps, 'db'>, slug: string): Promise<Tenant | undefined> {
  const row = await tenants.findTenantBySlug(deps.db, slug);
  return row && toTenant(row);
}

export async function countDocuments(deps: Pick<ServiceDeps, 'db'>, tenant: Tenant): Promise<number> {
  return tenants.countTenantDocuments(deps.db, tenant.id);
}

/** Drops the tenant's HNSW index: searches fall back to an exact scan (benchmarks compare both). */
export async function dropSearchIndex(deps: Pick<ServiceDeps, 'db'>, tenant: Tenant): Promise<void> {
  await tenants.dropTenantIndex(deps.db, tenant.id);
}

/** Builds the tenant's HNSW index with its stored settings, if it is missing. */
export async function buildSearchIndex(deps: Pick<ServiceDeps, 'db' | 'metric'>, tenant: Tenant): Promise<void> {
  await tenants.createTenantIndex(deps.db, tenant.id, { ...tenant.hnsw, operatorClass: HNSW_OPERATOR_CLASS[deps.metric] });
}

function validateTenantInput(input: CreateTenantInput) {
  if (!SLUG_PATTERN.test(input.slug)) {
    throw badUserInput('slug', 'must be 1-63 characters of lowercase letters, digits, "-" and "_"');
  }
  const name = input.name ?? input.slug;
  if (name.trim() === '' || name.length > 200) throw badUserInput('name', 'must be 1-200 characters');
  const m = inRange('hnsw.m', input.hnsw?.m, HNSW_LIMITS.m);
  const efConstruction = inRange('hnsw.efConstruction', input.hnsw?.efConstruction, HNSW_LIMITS.efConstruction);
  if (efConstruction < 2 * m) {
    throw badUserInput('hnsw.efConstruction', `must be at least 2 * m (${2 * m}); pgvector requires it`);
  }
  const efSearch = inRange('efSearch', input.efSearch, HNSW_LIMITS.efSearch);
  return { slug: input.slug, name, hnsw_m: m, hnsw_ef_construction: efConstruction, ef_search: efSearch };
}

function inRange(field: string, value: number | null | undefined, limits: { min: number; max: number; default: number }) {
  if (value === null || value === undefined) return limits.default;
  if (!Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw badUserInput(field, `must be an integer from ${limits.min} to ${limits.max}, got ${value}`);
  }
  return value;
}

function toTenant(row: tenants.TenantRow): Tenant {
  return {
    id: row.id as TenantId,
    slug: row.slug,
    name: row.name,
    hnsw: { m: row.hnsw_m, efConstruction: row.hnsw_ef_construction },
    efSearch: row.ef_search,
    createdAt: row.created_at,
  };
}
