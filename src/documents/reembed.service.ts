import { toVectorText } from '../db/vector.js';
import { createEmbeddingLoaders } from '../embeddings/embedding-loaders.js';
import { checkIntegerRange } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import type { Tenant } from '../tenants/tenant.js';
import { inTenantSession } from '../tenants/tenant-session.js';
import { CLIENT_SUPPLIED_MODEL } from './document.js';
import * as reembed from './reembed.repository.js';

export const REEMBED_LIMITS = { batchSize: { min: 1, max: 1000, default: 100 }, limit: { min: 1, max: 1_000_000, default: 10_000 } };

export type ReembedProgress = { model: string; reembedded: number; remaining: number };

/**
 * Brings up to `limit` of the tenant's documents to the current model, a batch at a time: each
 * batch is read, embedded outside any transaction, and written in place, so search finds every
 * document throughout (old vectors until their batch lands). Resumable by construction: the next
 * call picks up whatever still carries another model.
 */
export async function reembedTenant(
  deps: Pick<ServiceDeps, 'database' | 'embedder'>,
  tenant: Tenant,
  options: { batchSize?: number; limit?: number } = {},
): Promise<ReembedProgress> {
  const batchSize = checkIntegerRange('batchSize', options.batchSize ?? REEMBED_LIMITS.batchSize.default, REEMBED_LIMITS.batchSize);
  const limit = checkIntegerRange('limit', options.limit ?? REEMBED_LIMITS.limit.default, REEMBED_LIMITS.limit);
  const model = deps.embedder.model;
  let reembedded = 0;
  while (reembedded < limit) {
    const stale = await inTenantSession(deps.database, tenant, {
      run: ({ db, shard }) =>
        reembed.findStaleEmbeddings(db, shard, model, Math.min(batchSize, limit - reembedded)),
    });
    if (stale.length === 0) break;
    // Through a loader for its checks: a wrong count or dimension fails the batch, writing nothing.
    const vectors = await createEmbeddingLoaders(deps.embedder).documents.loadMany(stale.map((row) => row.content));
    const failure = vectors.find((vector) => vector instanceof Error);
    if (failure) throw failure;
    const updates = stale.map((row, index) => ({
      id: row.id,
      content_hash: row.content_hash,
      // Text: the batch travels as one JSON document.
      embedding: toVectorText(vectors[index] as number[]),
      embedding_model: model,
    }));
    await inTenantSession(deps.database, tenant, { run: ({ db, shard }) => reembed.updateEmbeddings(db, shard, updates) });
    // Count what was read, not what was updated: a document rewritten meanwhile is current anyway.
    reembedded += stale.length;
  }
  const counts = await documentsByModel(deps, tenant);
  const remaining = counts.filter((c) => c.model !== model && c.model !== CLIENT_SUPPLIED_MODEL).reduce((sum, c) => sum + c.documents, 0);
  return { model, reembedded, remaining };
}

export async function documentsByModel(deps: Pick<ServiceDeps, 'database'>, tenant: Tenant): Promise<{ model: string; documents: number }[]> {
  const rows = await inTenantSession(deps.database, tenant, { run: ({ db, shard }) => reembed.countDocumentsByModel(db, shard) });
  return rows.map((row) => ({ model: row.embedding_model, documents: row.documents }));
}
