import { performance } from 'node:perf_hooks';
import type { GraphqlClient } from './graphql-client.js';

const UPSERT = /* GraphQL */ `
  mutation BenchUpsert($documents: [DocumentInput!]!) {
    upsertDocuments(documents: $documents) { documents { id } }
  }
`;

type UpsertData = { upsertDocuments: { documents: { id: string }[] } };

/** The externalId of the i-th synthetic document: recall compares results by it. */
export function benchExternalId(index: number): string {
  return `bench-${index}`;
}

/**
 * Upserts the vectors as documents with precomputed embeddings, batch after batch, and returns
 * the wall-clock seconds from the first request to the last response.
 */
export async function loadDocuments(
  client: GraphqlClient,
  tenantSlug: string,
  options: { vectors: readonly number[][]; batchSize: number; onBatch?: (loaded: number) => void },
): Promise<{ seconds: number }> {
  const { vectors, batchSize } = options;
  const started = performance.now();
  for (let start = 0; start < vectors.length; start += batchSize) {
    const documents = vectors.slice(start, start + batchSize).map((embedding, offset) => ({
      externalId: benchExternalId(start + offset),
      content: `doc ${start + offset}`,
      embedding,
    }));
    const data = await client.request<UpsertData>(UPSERT, { documents }, { 'x-tenant-id': tenantSlug });
    const written = data.upsertDocuments.documents.length;
    if (written !== documents.length) throw new Error(`upsert of ${documents.length} documents returned ${written}`);
    options.onBatch?.(start + documents.length);
  }
  return { seconds: (performance.now() - started) / 1000 };
}
