import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { notExpired } from '../../documents/document-expiry.sql.js';
import { type TenantId, type TenantShard, partitionName } from '../tenant.js';

/** A tenant's document as an archive (export, offload) takes it; the vector as pgvector's binary form (vector_send), bit for bit. */
export type ArchiveRow = {
  id: string;
  external_id: string;
  content: string;
  metadata: Record<string, unknown>;
  embedding_model: string;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  embedding_bytes: Buffer;
};

/** Where a tenant's rows are read from: its shard of documents (ACTIVE), or its detached table (INACTIVE). */
export type RowSource = { kind: 'shard'; shard: TenantShard } | { kind: 'detached'; tenantId: TenantId };

// ISO 8601 in UTC with microseconds: what timestamptz holds, and text that parses back to it exactly.
const isoTimestamp = (column: string) => sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * One page of the tenant's documents in id order, after an id (keyset: each page is an index
 * range on (tenant_id, shard, id)-led keys, however far in). Export reads a shard in tenant
 * sessions; offload reads a shard or an INACTIVE tenant's detached table under the tenant's lock. vector_send gives the stored float4 values as bytes, so no decimal
 * text can round them on the way to the archive. Documents already expired are gone to every read
 * and not archived.
 */
export async function listArchivePage(db: Db, source: RowSource, page: { after: string | null; limit: number }): Promise<ArchiveRow[]> {
  const from = source.kind === 'shard' ? sql`documents` : sql.table(partitionName(source.tenantId));
  const tenantId = source.kind === 'shard' ? source.shard.tenantId : source.tenantId;
  const shardFilter = source.kind === 'shard' ? sql`and shard = ${source.shard.shard}` : sql``;
  const after = page.after === null ? sql`` : sql`and id > ${page.after}::bigint`;
  const { rows } = await sql<ArchiveRow>`
    select id, external_id, content, metadata, embedding_model,
      ${isoTimestamp('created_at')} as created_at, ${isoTimestamp('updated_at')} as updated_at, ${isoTimestamp('expires_at')} as expires_at,
      vector_send(embedding) as embedding_bytes
    from ${from}
    where tenant_id = ${tenantId} ${shardFilter} ${after} and ${notExpired()}
    order by id
    limit ${page.limit}`.execute(db);
  return rows;
}
