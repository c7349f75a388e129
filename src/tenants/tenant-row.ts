import { AppError } from '../domain-errors.js';
import type { Placement, Tenant, TenantId, TenantState } from './tenant.js';
import type { TenantRow } from './tenant.repository.js';

/** The tenant of a row just read, if it is still there and active; TENANT_NOT_FOUND or TENANT_INACTIVE otherwise. */
export function activeTenant(row: TenantRow | undefined): Tenant {
  if (!row) throw new AppError('TENANT_NOT_FOUND', 'The tenant no longer exists');
  const tenant = toTenant(row);
  assertActive(tenant);
  return tenant;
}

export function assertActive(tenant: Tenant): void {
  if (tenant.state === 'DELETED') throw new AppError('TENANT_NOT_FOUND', `No tenant with slug "${tenant.slug}"`);
  if (tenant.state === 'INACTIVE') {
    throw new AppError('TENANT_INACTIVE', `Tenant "${tenant.slug}" is inactive; an admin can reactivate it`);
  }
  if (tenant.state === 'OFFLOADED') {
    throw new AppError(
      'TENANT_OFFLOADED',
      `Tenant "${tenant.slug}" is offloaded: its documents were moved out of the database to an archive; an admin can restore them with activateTenant`,
    );
  }
}

export function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id as TenantId,
    slug: row.slug,
    name: row.name,
    hnsw: { m: row.hnsw_m, efConstruction: row.hnsw_ef_construction },
    efSearch: row.ef_search,
    placement: row.placement as Placement,
    state: row.state as TenantState,
    createdAt: row.created_at,
    documentTtlSeconds: row.document_ttl_seconds,
  };
}
