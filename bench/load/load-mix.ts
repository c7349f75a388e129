import { weightedPicker } from '../shared/client-loops.js';
import { type DocumentInput, OPERATIONS, tenantHeaders } from '../shared/narwhal-operations.js';
import type { Outcome, GraphqlClient } from '../shared/graphql-client.js';
import type { RandomText } from '../shared/random-text.js';
import type { Mixture } from '../shared/synthetic-embeddings.js';

/**
 * The mixed workload of bench/load/load.ts. vector_search, upsert_vectors and fetch send precomputed
 * vectors or ids, so they measure the server and the database; text_search and upsert_text go
 * through the offline embedding model (distinct texts, so its query cache rarely answers) and
 * are reported apart.
 */
export const LOAD_MIX = { vector_search: 70, text_search: 8, upsert_vectors: 15, upsert_text: 2, fetch: 5 } as const;
type LoadOperation = keyof typeof LOAD_MIX;
export const MODEL_OPERATIONS: readonly LoadOperation[] = ['text_search', 'upsert_text'];

/** One tenant's data as the clients see it: its preloaded documents' ids and a pool of vectors. */
export type LoadTenant = {
  slug: string;
  docs: number;
  /** Global IDs of the preloaded documents, for fetches. */
  ids: string[];
  /** Query vectors and replacement vectors, drawn from the tenant's mixture before the run. */
  queries: number[][];
  replacements: number[][];
};

export function loadTenant(slug: string, docs: number, ids: string[], mixture: Mixture, seed: number): LoadTenant {
  return { slug, docs, ids, queries: mixture.sample(1000, seed + 1), replacements: mixture.sample(1000, seed + 2) };
}

/** The preloaded corpus of one tenant: doc-0 .. doc-<n-1> with vectors. */
export function preloadDocuments(mixture: Mixture, docs: number, seed: number): DocumentInput[] {
  return mixture.sample(docs, seed).map((embedding, i) => ({ externalId: `doc-${i}`, content: `document ${i}`, embedding, metadata: { n: i } }));
}

const pick = weightedPicker(LOAD_MIX);
const BATCH = 10;

/** Sends one request of the mix for a client; returns which operation it was and how it went. */
export async function sendMixed(
  client: GraphqlClient,
  tenant: LoadTenant,
  random: RandomText,
  clientIndex: number,
  iteration: number,
): Promise<{ operation: LoadOperation; outcome: Outcome }> {
  const operation = pick(random.next());
  const headers = tenantHeaders(tenant.slug);
  const anyOf = <T>(list: readonly T[]) => list[random.int(list.length)] as T;
  switch (operation) {
    case 'vector_search':
      return { operation, outcome: await client.send(OPERATIONS.vectorSearch, { v: anyOf(tenant.queries) }, headers) };
    case 'text_search':
      return { operation, outcome: await client.send(OPERATIONS.textSearch, { q: random.sentence(3, 8) }, headers) };
    case 'fetch':
      return { operation, outcome: await client.send(OPERATIONS.fetch, { id: anyOf(tenant.ids) }, headers) };
    case 'upsert_vectors': {
      // Replacements of existing documents, so every tenant keeps its size (and its search cost)
      // through the run; ids sorted, as a client that batches writes should send them.
      const keys = new Set<number>();
      while (keys.size < BATCH) keys.add(random.int(tenant.docs));
      const d = [...keys]
        .sort((a, b) => a - b)
        .map((k) => ({ externalId: `doc-${k}`, content: `document ${k} v${iteration}`, embedding: anyOf(tenant.replacements), metadata: { n: k } }));
      return { operation, outcome: await client.send(OPERATIONS.upsert, { d }, headers) };
    }
    case 'upsert_text': {
      const d = Array.from({ length: BATCH }, (_, i) => ({
        externalId: `text-${clientIndex}-${iteration}-${i}`,
        content: random.sentence(8, 20),
      }));
      return { operation, outcome: await client.send(OPERATIONS.upsert, { d }, headers) };
    }
  }
}
