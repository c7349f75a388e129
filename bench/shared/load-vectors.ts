import { upsertDocuments } from '../../src/documents/document.service.js';
import { createEmbeddingLoaders } from '../../src/embeddings/embedding-loaders.js';
import type { ServiceDeps } from '../../src/service-deps.js';
import type { Tenant } from '../../src/tenants/tenant.js';

/** Rows per upsert: the API's default largest batch. */
export const LOAD_BATCH = 1000;

/**
 * Loads precomputed vectors through the document service (as the API does), externalId
 * `doc-<index>`: recall compares results by the index after that prefix.
 */
export async function loadVectors(deps: ServiceDeps, tenant: Tenant, corpus: readonly number[][], log: (message: string) => void): Promise<void> {
  for (let start = 0; start < corpus.length; start += LOAD_BATCH) {
    const batch = corpus.slice(start, start + LOAD_BATCH).map((embedding, i) => ({ externalId: `doc-${start + i}`, content: `doc ${start + i}`, embedding }));
    await upsertDocuments(deps, createEmbeddingLoaders(deps.embedder), tenant, batch);
    if ((start + LOAD_BATCH) % 20_000 === 0) log(`  ${start + LOAD_BATCH} loaded`);
  }
}
