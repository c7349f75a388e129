import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { TenantShard } from '../tenants/tenant.js';
import { CLIENT_SUPPLIED_MODEL } from './document.js';
import { notExpired } from './document-expiry.sql.js';

export type StaleDocumentRow = { id: string; content: string; content_hash: string };

/**
 * The next documents embedded by a model other than `model`, in id order. Client-supplied
 * vectors are left alone: Narwhal cannot know what produced them.
 */
export async function findStaleEmbeddings(db: Db, shard: TenantShard, model: string, limit: number): Promise<StaleDocumentRow[]> {
  return db
    .selectFrom('documents')
    .select(['id', 'content', 'content_hash'])
    .where('shard', '=', shard.shard)
    .where('tenant_id', '=', shard.tenantId)
    .where('embedding_model', 'not in', [model, CLIENT_SUPPLIED_MODEL])
    .orderBy('id')
    .limit(limit)
    .execute();
}

export type EmbeddingUpdate = { id: string; content_hash: string; embedding: string; embedding_model: string };

/**
 * Replaces embeddings in place (search keeps finding every document meanwhile), skipping a
 * document whose content changed since it was read: its writer embedded it with the current model.
 */
export async function updateEmbeddings(db: Db, shard: TenantShard, updates: readonly EmbeddingUpdate[]): Promise<number> {
  if (updates.length === 0) return 0;
  const result = await sql`
    update documents as d
    set embedding = v.embedding::vector, embedding_model = v.embedding_model, updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) as v(id bigint, content_hash text, embedding text, embedding_model text)
    where d.shard = ${shard.shard} and d.tenant_id = ${shard.tenantId}
      and d.id = v.id and d.content_hash = v.content_hash`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export type ModelCountRow = { embedding_model: string; documents: number };

/** How many of the tenant's documents each model embedded. */
export async function countDocumentsByModel(db: Db, shard: TenantShard): Promise<ModelCountRow[]> {
  const rows = await db
    .selectFrom('documents')
    .select(['embedding_model', (eb) => eb.fn.countAll<string>().as('documents')])
    .where('shard', '=', shard.shard)
    .where('tenant_id', '=', shard.tenantId)
    .where(notExpired())
    .groupBy('embedding_model')
    .orderBy('embedding_model')
    .execute();
  return rows.map((row) => ({ embedding_model: row.embedding_model, documents: Number(row.documents) }));
}
