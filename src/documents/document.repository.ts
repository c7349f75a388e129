import { type Selectable, sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { DocumentsTable } from '../db/schema.js';
import type { TenantShard } from '../tenants/tenant.js';
import type { DocumentId } from './document.js';

export const DOCUMENT_COLUMNS = [
  'id',
  'tenant_id',
  'external_id',
  'content',
  'metadata',
  'embedding_model',
  'created_at',
  'updated_at',
] as const;

export type DocumentRow = Pick<Selectable<DocumentsTable>, (typeof DOCUMENT_COLUMNS)[number]>;

export type NewDocumentRow = {
  external_id: string;
  content: string;
  metadata: Record<string, unknown>;
  /** pgvector text form. */
  embedding: string;
  embedding_model: string;
  content_hash: string;
};

/** Inserts or replaces (by external id) the tenant's documents in one statement. */
export async function upsertDocuments(db: Db, scope: TenantShard, rows: readonly NewDocumentRow[]): Promise<DocumentRow[]> {
  return db
    .insertInto('documents')
    .values(
      rows.map((row) => ({ ...row, tenant_id: scope.tenantId, shard: scope.shard, metadata: JSON.stringify(row.metadata) })),
    )
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'external_id', 'shard']).doUpdateSet((eb) => ({
        content: eb.ref('excluded.content'),
        metadata: eb.ref('excluded.metadata'),
        embedding: eb.ref('excluded.embedding'),
        embedding_model: eb.ref('excluded.embedding_model'),
        content_hash: eb.ref('excluded.content_hash'),
        updated_at: sql<Date>`now()`,
      })),
    )
    .returning(DOCUMENT_COLUMNS)
    .execute();
}

export async function findDocumentsByIds(db: Db, scope: TenantShard, ids: readonly DocumentId[]): Promise<DocumentRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('documents')
    .select(DOCUMENT_COLUMNS)
    .where('shard', '=', scope.shard)
    .where('tenant_id', '=', scope.tenantId)
    .where('id', 'in', ids)
    .execute();
}

/** One page in id order (stable across inserts), after or before an id cursor. */
export async function listDocuments(
  db: Db,
  scope: TenantShard,
  page: { after?: DocumentId; before?: DocumentId; limit: number; inverted: boolean },
): Promise<DocumentRow[]> {
  let query = db
    .selectFrom('documents')
    .select(DOCUMENT_COLUMNS)
    .where('shard', '=', scope.shard)
    .where('tenant_id', '=', scope.tenantId);
  if (page.after) query = query.where('id', '>', page.after);
  if (page.before) query = query.where('id', '<', page.before);
  return query
    .orderBy('id', page.inverted ? 'desc' : 'asc')
    .limit(page.limit)
    .execute();
}

export async function deleteDocuments(
  db: Db,
  scope: TenantShard,
  keys: { ids: readonly DocumentId[]; externalIds: readonly string[] },
): Promise<number> {
  if (keys.ids.length === 0 && keys.externalIds.length === 0) return 0;
  const result = await db
    .deleteFrom('documents')
    .where('shard', '=', scope.shard)
    .where('tenant_id', '=', scope.tenantId)
    .where((eb) =>
      eb.or([
        ...(keys.ids.length > 0 ? [eb('id', 'in', keys.ids)] : []),
        ...(keys.externalIds.length > 0 ? [eb('external_id', 'in', keys.externalIds)] : []),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
