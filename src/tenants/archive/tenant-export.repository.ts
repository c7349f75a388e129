import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { notExpired } from '../../documents/document-expiry.sql.js';
import type { TenantShard } from '../tenant.js';

export type ArchiveRow = {
  id: string;
  external_id: string;
  content: string;
  metadata: Record<string, unknown>;
  embedding_model: string;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  /** pgvector's text form. float4 output is shortest-exact (PostgreSQL 12+), so it parses back to the same float32. */
  embedding: string;
};

// Microseconds kept, in UTC whatever the session's time zone: a Date would drop the last three digits.
const ISO_UTC = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

/**
 * One page of the tenant's documents for an archive, in id order after a keyset cursor: each page
 * is an index range scan on (tenant_id, shard, id)-led keys, however deep into the tenant it is.
 * Documents already expired are gone to every read, so to the archive too.
 */
export async function listArchivePage(db: Db, shard: TenantShard, after: string | undefined, limit: number): Promise<ArchiveRow[]> {
  const result = await sql<ArchiveRow>`
    select id, external_id, content, metadata, embedding_model,
      to_char(created_at at time zone 'UTC', ${ISO_UTC}) as created_at,
      to_char(updated_at at time zone 'UTC', ${ISO_UTC}) as updated_at,
      to_char(expires_at at time zone 'UTC', ${ISO_UTC}) as expires_at,
      embedding::text as embedding
    from documents
    where shard = ${shard.shard} and tenant_id = ${shard.tenantId} and ${notExpired()}
      ${after === undefined ? sql`` : sql`and id > ${after}::bigint`}
    order by id
    limit ${limit}`.execute(db);
  return result.rows;
}
