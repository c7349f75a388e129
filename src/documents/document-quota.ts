import type { Db } from '../db/database.js';
import { AppError } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import { countTenantDocuments } from '../tenants/partition.repository.js';
import { type Tenant, type TenantShard } from '../tenants/tenant.js';
import { inTenantSession } from '../tenants/tenant-session.js';
import { lockDocumentQuota } from './document-quota.repository.js';
import { findStoredContent } from './document.repository.js';

/**
 * Early check of MAX_DOCUMENTS_PER_TENANT, before anything is embedded, so an over-quota batch
 * costs no model call. Advisory: the binding check is enforceDocumentQuota in the write.
 */
export async function checkDocumentQuota(deps: ServiceDeps, tenant: Tenant, externalIds: readonly string[]): Promise<void> {
  const limit = deps.maxDocumentsPerTenant ?? 0;
  if (limit <= 0) return;
  await inTenantSession(deps.database, tenant, { run: ({ db, shard }) => assertRoom(db, shard, externalIds, limit) });
}

/**
 * Inside the write transaction: throws QUOTA_EXCEEDED, rejecting the whole batch, unless the
 * tenant has room for the batch's new external ids (replacing a document takes no room). Holds
 * the tenant's quota lock until the transaction ends, so concurrent batches count one by one.
 */
export async function enforceDocumentQuota(trx: Db, shard: TenantShard, externalIds: readonly string[], limit = 0): Promise<void> {
  if (limit <= 0) return;
  await lockDocumentQuota(trx, shard.tenantId);
  await assertRoom(trx, shard, externalIds, limit);
}

async function assertRoom(trx: Db, shard: TenantShard, externalIds: readonly string[], limit: number): Promise<void> {
  const existing = await findStoredContent(trx, shard, externalIds);
  const adding = externalIds.length - existing.length;
  if (adding === 0) return;
  // A count of the tenant's rows: an index-only scan, paid only while a quota is set.
  const current = await countTenantDocuments(trx, shard);
  if (current + adding <= limit) return;
  throw new AppError(
    'QUOTA_EXCEEDED',
    `documents: this tenant may hold at most ${limit} documents (MAX_DOCUMENTS_PER_TENANT); it holds ${current} and ` +
      `this batch would add ${adding} new ones. Delete documents or ask an admin to raise the limit`,
    'documents',
    { details: { limit, current, adding } },
  );
}
