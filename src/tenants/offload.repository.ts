import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { VectorParameter } from '../db/vector.js';
import { type TenantId, type TenantShard, partitionName } from './tenant.js';
import { TENANT_COLUMNS, type TenantRow } from './tenant.repository.js';

/** Where an OFFLOADED tenant's documents are (migration 0017). */
export type OffloadRow = { offload_file: string; offload_sha256: string; offload_documents: string };

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
