import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { TenantId } from '../tenants/tenant.js';

// Its own advisory-lock namespace, apart from the tenant lock ('narw'), which writers share.
const QUOTA_LOCK_NAMESPACE = 0x6e71_7561; // 'nqua'

/**
 * Transaction-scoped lock that serializes the tenant's quota-checked writes: two batches that
 * each fit alone cannot both count the same headroom. Other tenants are not held up.
 */
export async function lockDocumentQuota(db: Db, tenantId: TenantId): Promise<void> {
  await sql`select pg_advisory_xact_lock(${QUOTA_LOCK_NAMESPACE}, ${tenantId})`.execute(db);
}
