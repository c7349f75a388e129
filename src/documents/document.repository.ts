import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { VectorParameter } from '../db/vector.js';
import { DOCUMENT_COLUMNS, type DocumentRow } from '../db/schema.js';
import type { TenantShard } from '../tenants/tenant.js';
import type { DocumentId } from './document.js';
import { notExpired } from './document-expiry.sql.js';

export type NewDocumentRow = {
  external_id: string;
  content: string;
  metadata: Record<string, unknown>;
  embedding: VectorParameter;
  embedding_model: string;
  content_hash: string;
  expires_at: Date | null;
};

/** Inserts or replaces (by external id) the tenant's documents in one statement. */
export async function upsertDocuments(db: Db, shard: TenantShard, rows: readonly NewDocumentRow[]): Promise<DocumentRow[]> {
  if (rows.length === 0) return [];
  return db
    .insertInto('documents')
    .values(
      rows.map((row) => ({ ...row, tenant_id: shard.tenantId, shard: shard.shard, metadata: JSON.stringify(row.metadata) })),
    )
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'external_id', 'shard']).doUpdateSet((eb) => ({
        content: eb.ref('excluded.content'),
        metadata: eb.ref('excluded.metadata'),
        embedding: eb.ref('excluded.embedding'),
        embedding_model: eb.ref('excluded.embedding_model'),
        content_hash: eb.ref('excluded.content_hash'),
        expires_at: eb.ref('excluded.expires_at'),
        // The proposed row's default, now(): Citus refuses functions that are not IMMUTABLE in
        // DO UPDATE SET, while a default is evaluated on the coordinator like any insert value.
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returning(DOCUMENT_COLUMNS)
    .execute();
}

export async function findDocumentsByIds(db: Db, shard: TenantShard, ids: readonly DocumentId[]): Promise<DocumentRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('documents')
    .select(DOCUMENT_COLUMNS)
    .where('shard', '=', shard.shard)
    .where('tenant_id', '=', shard.tenantId)
    .where('id', 'in', ids)
    .where(notExpired())
    .execute();
}

/** One page in id order (stable across inserts), after or before an id cursor. */
export async function listDocuments(
  db: Db,
  shard: TenantShard,
  page: { after?: DocumentId; before?: DocumentId; limit: number; inverted: boolean },
): Promise<DocumentRow[]> {
  let query = db
    .selectFrom('documents')
    .select(DOCUMENT_COLUMNS)
    .where('shard', '=', shard.shard)
    .where('tenant_id', '=', shard.tenantId)
    .where(notExpired());
  if (page.after) query = query.where('id', '>', page.after);
  if (page.before) query = query.where('id', '<', page.before);
  return query
    .orderBy('id', page.inverted ? 'desc' : 'asc')
    .limit(page.limit)
    .execute();
}

export async function deleteDocuments(
  db: Db,
  shard: TenantShard,
  keys: { ids: readonly DocumentId[]; externalIds: readonly string[] },
): Promise<number> {
  if (keys.ids.length === 0 && keys.externalIds.length === 0) return 0;
  const result = await db
    .deleteFrom('documents')
    .where('shard', '=', shard.shard)
    .where('tenant_id', '=', shard.tenantId)
    .where((eb) =>
      eb.or([
        ...(keys.ids.length > 0 ? [eb('id', 'in', keys.ids)] : []),
        ...(keys.externalIds.length > 0 ? [eb('external_id', 'in', keys.externalIds)] : []),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export type StoredContent = { external_id: string; content_hash: string; embedding_model: string };

/** What is stored under these external ids, to tell which documents need embedding again. */
export async function findStoredContent(db: Db, shard: TenantShard, externalIds: readonly string[]): Promise<StoredContent[]> {
  if (externalIds.length === 0) return [];
  return db
    .selectFrom('documents')
    .select(['external_id', 'content_hash', 'embedding_model'])
    .where('shard', '=', shard.shard)
    .where('tenant_id', '=', shard.tenantId)
    .where('external_id', 'in', externalIds)
    .execute();
}

export type MetadataUpdate = {
  external_id: string;
  metadata: Record<string, unknown>;
  content_hash: string;
  embedding_model: string;
  expires_at: Date | null;
};

/**
 * Writes only the metadata of documents whose content and model are unchanged, so their stored
 * embedding stays valid. Returns the rows it updated: a document whose content changed since it
 * was read (a concurrent writer) is not among them, and the caller must embed it after all.
 */
export async function updateMetadataOfUnchanged(db: Db, shard: TenantShard, updates: readonly MetadataUpdate[]): Promise<DocumentRow[]> {
  if (updates.length === 0) return [];
  const changes = JSON.stringify(updates);
  const columns = sql.join(DOCUMENT_COLUMNS.map((column) => sql.ref(`d.${column}`)));
  const result = await sql<DocumentRow>`
    update documents as d
    set metadata = v.metadata, expires_at = v.expires_at, updated_at = now()
    from jsonb_to_recordset(${changes}::jsonb) as v(external_id text, metadata jsonb, content_hash text, embedding_model text, expires_at timestamptz)
    where d.shard = ${shard.shard} and d.tenant_id = ${shard.tenantId}
      and d.external_id = v.external_id and d.content_hash = v.content_hash and d.embedding_model = v.embedding_model
    returning ${columns}`.execute(db);
  return result.rows;
}
