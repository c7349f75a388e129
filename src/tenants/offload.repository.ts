import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { VectorParameter } from '../db/vector.js';
import { notExpired } from '../documents/document-expiry.sql.js';
import { type TenantId, type TenantShard, partitionName } from './tenant.js';
import { TENANT_COLUMNS, type TenantRow } from './tenant.repository.js';

/** Where an OFFLOADED tenant's documents are (migration 0017). */
export type OffloadRow = { offload_file: string; offload_sha256: string; offload_documents: string };

/** A tenant's document as offload writes it; the vector as pgvector's binary form (vector_send), bit for bit. */
export type OffloadedDocumentRow = {
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
 * range, however far in). vector_send gives the stored float4 values as bytes, so no decimal
 * text can round them on the way to the archive. Documents already expired are gone to every read
 * and not archived.
 */
export async function listDocumentsForOffload(db: Db, source: RowSource, page: { after: string | null; limit: number }): Promise<OffloadedDocumentRow[]> {
  const from = source.kind === 'shard' ? sql`documents` : sql.table(partitionName(source.tenantId));
  const tenantId = source.kind === 'shard' ? source.shard.tenantId : source.tenantId;
  const shardFilter = source.kind === 'shard' ? sql`and shard = ${source.shard.shard}` : sql``;
  const after = page.after === null ? sql`` : sql`and id > ${page.after}::bigint`;
  const { rows } = await sql<OffloadedDocumentRow>`
    select id, external_id, content, metadata, embedding_model,
      ${isoTimestamp('created_at')} as created_at, ${isoTimestamp('updated_at')} as updated_at, ${isoTimestamp('expires_at')} as expires_at,
      vector_send(embedding) as embedding_bytes
    from ${from}
    where tenant_id = ${tenantId} ${shardFilter} ${after} and ${notExpired()}
    order by id
    limit ${page.limit}`.execute(db);
  return rows;
}

export type RestoredDocumentRow = {
  external_id: string;
  content: string;
  metadata: Record<string, unknown>;
  embedding: VectorParameter;
  embedding_model: string;
  content_hash: string;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
};

/**
 * Inserts archived documents with their own model and timestamps into documents (SHARED: shard 0)
 * or into the tenant's detached table before it is attached (DEDICATED). New internal ids.
 */
export async function insertRestoredDocuments(db: Db, target: { table: 'documents' | 'own'; shard: TenantShard }, rows: readonly RestoredDocumentRow[]): Promise<void> {
  if (rows.length === 0) return;
  const { tenantId, shard } = target.shard;
  const into = target.table === 'documents' ? sql`documents` : sql.table(partitionName(tenantId));
  const values = rows.map(
    (row) => sql`(${tenantId}, ${shard}, ${row.external_id}, ${row.content}, ${JSON.stringify(row.metadata)}::jsonb, ${row.embedding},
      ${row.embedding_model}, ${row.content_hash}, ${row.created_at}::timestamptz, ${row.updated_at}::timestamptz, ${row.expires_at}::timestamptz)`,
  );
  await sql`insert into ${into} (tenant_id, shard, external_id, content, metadata, embedding, embedding_model, content_hash, created_at, updated_at, expires_at)
    values ${sql.join(values)}`.execute(db);
}

export async function findOffload(db: Db, tenantId: TenantId): Promise<OffloadRow | undefined> {
  return db
    .selectFrom('tenants')
    .select(['offload_file', 'offload_sha256', 'offload_documents'])
    .where('id', '=', tenantId)
    .where('state', '=', 'OFFLOADED')
    .executeTakeFirst() as Promise<OffloadRow | undefined>;
}

export async function markOffloaded(db: Db, tenantId: TenantId, offload: { file: string; sha256: string; documents: number }): Promise<TenantRow> {
  return db
    .updateTable('tenants')
    .set({
      state: 'OFFLOADED',
      offload_file: offload.file,
      offload_sha256: offload.sha256,
      offload_documents: offload.documents,
      offloaded_at: sql<Date>`now()`,
    })
    .where('id', '=', tenantId)
    .returning(TENANT_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function markRestored(db: Db, tenantId: TenantId): Promise<TenantRow> {
  return db
    .updateTable('tenants')
    .set({ state: 'ACTIVE', offload_file: null, offload_sha256: null, offload_documents: null, offloaded_at: null })
    .where('id', '=', tenantId)
    .returning(TENANT_COLUMNS)
    .executeTakeFirstOrThrow();
}
