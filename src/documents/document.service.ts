import { createHash } from 'node:crypto';
import { isUnstorableText } from '../db/postgres-errors.js';
import type { DocumentRow } from '../db/schema.js';
import { toVectorParameter } from '../db/vector.js';
import type { EmbeddingLoaders } from '../embeddings/embedding-loaders.js';
import { badUserInput } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import type { Tenant } from '../tenants/tenant.js';
import { inTenantSession } from '../tenants/tenant-session.js';
import { documentExpiry } from '../tenants/tenant-expiry.service.js';
import { estimateEmbeddingTokens } from '../tenants/usage-recorder.js';
import { CLIENT_SUPPLIED_MODEL, type Document, type DocumentId, type DocumentInput, isDocumentId } from './document.js';
import { type ValidDocumentInput, validateDocumentBatch } from './document-input.js';
import { checkDocumentQuota, enforceDocumentQuota } from './document-quota.js';
import * as documents from './document.repository.js';

/**
 * Inserts or replaces (by external id) a batch of the tenant's documents: all or nothing.
 * Embeds first, outside the transaction, so no pooled connection waits on the model. A document
 * whose content and model are unchanged is not embedded again: only its metadata is written.
 */
export async function upsertDocuments(
  deps: ServiceDeps,
  loaders: EmbeddingLoaders,
  tenant: Tenant,
  inputs: readonly DocumentInput[],
): Promise<Document[]> {
  const valid = validateDocumentBatch(inputs, { maxBatchSize: deps.maxBatchSize, dimensions: deps.embedder.dimensions, metric: deps.metric });
  const docs = valid.map((doc) => ({ ...doc, contentHash: createHash('sha256').update(doc.content).digest('hex') }));
  await checkDocumentQuota(deps, tenant, docs.map((doc) => doc.externalId));
  const unchanged = await findUnchanged(deps, tenant, docs);
  try {
    return await writeBatch(deps, loaders, tenant, docs, unchanged);
  } catch (error) {
    // Another writer changed one of the "unchanged" documents in between: embed them all after all.
    if (error instanceof ContentChangedMeanwhile) return writeBatch(deps, loaders, tenant, docs, new Set());
    throw error;
  }
}

type HashedInput = ValidDocumentInput & { contentHash: string };

class ContentChangedMeanwhile extends Error {}

/** External ids of the documents whose stored content and model match: no embedding needed. */
async function findUnchanged(deps: ServiceDeps, tenant: Tenant, docs: readonly HashedInput[]): Promise<Set<string>> {
  const candidates = docs.filter((doc) => doc.embedding === null);
  if (candidates.length === 0) return new Set();
  const stored = await inTenantSession(deps.database, tenant, {
    run: ({ db, shard }) =>
      documents.findStoredContent(db, shard, candidates.map((doc) => doc.externalId)),
  });
  const storedById = new Map(stored.map((row) => [row.external_id, row]));
  return new Set(
    candidates
      .filter((doc) => {
        const row = storedById.get(doc.externalId);
        return row !== undefined && row.content_hash === doc.contentHash && row.embedding_model === deps.embedder.model;
      })
      .map((doc) => doc.externalId),
  );
}

async function writeBatch(
  deps: ServiceDeps,
  loaders: EmbeddingLoaders,
  tenant: Tenant,
  docs: readonly HashedInput[],
  unchanged: ReadonlySet<string>,
): Promise<Document[]> {
  const changed = docs.filter((doc) => !unchanged.has(doc.externalId));
  const texts = changed.filter((doc) => doc.embedding === null).map((doc) => doc.content);
  const embedded = await loadAll(loaders.documents, texts);
  let next = 0;
  const rows = changed.map((doc) => ({
    external_id: doc.externalId,
    content: doc.content,
    metadata: doc.metadata,
    embedding: toVectorParameter(doc.embedding ?? (embedded[next++] as number[])),
    embedding_model: doc.embedding ? (doc.embeddingModel ?? CLIENT_SUPPLIED_MODEL) : deps.embedder.model,
    content_hash: doc.contentHash,
    expires_at: doc.expiresAt,
  }));
  const metadataOnly = docs
    .filter((doc) => unchanged.has(doc.externalId))
    .map((doc) => ({
      external_id: doc.externalId,
      metadata: doc.metadata,
      content_hash: doc.contentHash,
      embedding_model: deps.embedder.model,
      expires_at: doc.expiresAt,
    }));
  const { written, placement } = await inTenantSession(deps.database, tenant, {
    run: async ({ db, shard, tenant: current }) => {
      await enforceDocumentQuota(db, shard, docs.map((doc) => doc.externalId), deps.maxDocumentsPerTenant);
      // The tenant's TTL as the session read it, not as a cached tenant remembers it.
      const expiring = <T extends { expires_at: Date | null }>(row: T): T => ({ ...row, expires_at: documentExpiry(current, row.expires_at) });
      const updated = await documents.updateMetadataOfUnchanged(db, shard, metadataOnly.map(expiring));
      if (updated.length !== metadataOnly.length) throw new ContentChangedMeanwhile();
      return { written: [...updated, ...(await documents.upsertDocuments(db, shard, rows.map(expiring)))], placement: current.placement };
    },
  }).catch((error: unknown) => {
    if (isUnstorableText(error)) throw badUserInput('documents', 'contain text PostgreSQL cannot store (e.g. \\u0000)');
    throw error;
  });
  deps.maintenance.afterWrite({ tenantId: tenant.id, placement, rows: written.length });
  deps.usage?.recordWrites(tenant.id, written.length, estimateEmbeddingTokens(texts));
  const byExternalId = new Map(written.map((row) => [row.external_id, toDocument(row)]));
  return docs.map((doc) => byExternalId.get(doc.externalId) as Document);
}

/** Deletes the tenant's documents named by id or external id; returns how many went. */
export async function deleteDocuments(
  deps: Pick<ServiceDeps, 'database' | 'usage'>,
  tenant: Tenant,
  keys: { ids: readonly string[]; externalIds: readonly string[] },
): Promise<number> {
  const ids = keys.ids.map((id, index) => {
    if (!isDocumentId(id)) throw badUserInput(`ids[${index}]`, 'is not a document id');
    return id;
  });
  const deleted = await inTenantSession(deps.database, tenant, {
    run: ({ db, shard }) =>
      documents.deleteDocuments(db, shard, { ids, externalIds: keys.externalIds }),
  });
  deps.usage?.recordWrites(tenant.id, deleted, 0);
  return deleted;
}

/** The tenant's documents with these ids, in the same order; null where none (or not the tenant's). */
export async function findDocumentsByIds(
  deps: Pick<ServiceDeps, 'database'>,
  tenant: Tenant,
  ids: readonly string[],
): Promise<(Document | null)[]> {
  const rows = await inTenantSession(deps.database, tenant, {
    run: ({ db, shard }) =>
      documents.findDocumentsByIds(db, shard, ids.filter(isDocumentId)),
  });
  const byId = new Map(rows.map((row) => [row.id, toDocument(row)]));
  return ids.map((id) => byId.get(id) ?? null);
}

export async function listDocuments(
  deps: Pick<ServiceDeps, 'database'>,
  tenant: Tenant,
  page: { after?: string; before?: string; limit: number; inverted: boolean },
): Promise<Document[]> {
  const cursor = (name: 'after' | 'before') => {
    const value = page[name];
    if (value === undefined) return undefined;
    if (!isDocumentId(value)) throw badUserInput(name, 'is not a valid cursor');
    return value;
  };
  const keyset = { after: cursor('after'), before: cursor('before'), limit: page.limit, inverted: page.inverted };
  const rows = await inTenantSession(deps.database, tenant, { run: ({ db, shard }) => documents.listDocuments(db, shard, keyset) });
  return rows.map(toDocument);
}

async function loadAll(loader: EmbeddingLoaders['documents'], texts: string[]): Promise<number[][]> {
  const results = await loader.loadMany(texts);
  const failure = results.find((result) => result instanceof Error);
  if (failure) throw failure;
  return results as number[][];
}

export function toDocument(row: DocumentRow): Document {
  return {
    id: row.id as DocumentId,
    tenantId: row.tenant_id as Tenant['id'],
    externalId: row.external_id,
    content: row.content,
    metadata: row.metadata,
    embeddingModel: row.embedding_model,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
  };
}
