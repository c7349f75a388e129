import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { TenantShard } from './tenant.js';

/**
 * Deletes up to `limit` of the tenant's expired documents, oldest expiry first, and returns how
 * many went. Small batches keep each transaction's locks and WAL short, so writers and searches
 * of the tenant are not held up. Both statements name the tenant and its shard: one partition
 * (and on Citus one worker) is touched, through the (tenant_id, expires_at) partial index.
 */
export async function deleteExpiredDocuments(db: Db, shard: TenantShard, limit: number): Promise<number> {
  const result = await sql`
    delete from documents
     where shard = ${shard.shard} and tenant_id = ${shard.tenantId}
       and id in (select id from documents
                   where shard = ${shard.shard} and tenant_id = ${shard.tenantId}
                     and expires_at is not null and expires_at <= now()
                   order by expires_at
                   limit ${limit})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
