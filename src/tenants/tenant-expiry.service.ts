import { checkIntegerRange } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import * as tenants from './tenant.repository.js';
import { toTenant } from './tenant-row.js';
import { DOCUMENT_TTL_LIMITS, type Tenant } from './tenant.js';

/** A tenant's documentTtlSeconds as given: null or absent for none, else within DOCUMENT_TTL_LIMITS. */
export function validateDocumentTtl(value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  return checkIntegerRange('documentTtlSeconds', value, DOCUMENT_TTL_LIMITS);
}

/**
 * When a document written now expires: its own expiresAt if given, else now + the tenant's TTL,
 * else never (null). The server's clock, as for expiresAt the client sends.
 */
export function documentExpiry(tenant: Pick<Tenant, 'documentTtlSeconds'>, given: Date | null, now = Date.now()): Date | null {
  if (given) return given;
  return tenant.documentTtlSeconds === null ? null : new Date(now + tenant.documentTtlSeconds * 1000);
}

/**
 * Sets (or, with null, clears) the expiry of documents the tenant writes from now on. Documents
 * already written keep theirs: a TTL is applied when a document is written, not read.
 */
export async function setDocumentTtl(
  deps: Pick<ServiceDeps, 'database' | 'tenantCache'>,
  tenant: Tenant,
  documentTtlSeconds: number | null | undefined,
): Promise<Tenant> {
  const ttl = validateDocumentTtl(documentTtlSeconds);
  deps.tenantCache?.forget(tenant.slug);
  // One row, read by each write's tenant session: no lock on the tenant's documents is needed.
  return toTenant(await tenants.updateTenant(deps.database.db, tenant.id, { document_ttl_seconds: ttl }));
}
