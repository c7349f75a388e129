/**
 * Per-tenant synthetic corpora for the tenancy benchmark: each tenant draws from its own seeded
 * Gaussian mixture, so its corpus and queries can be regenerated at any time from its seed
 * instead of being held in memory for a quarter of a million rows. Ground truth is brute force
 * over the float32 values the database stores.
 */
import { benchExternalId } from './load-documents.js';
import { createMixture, type Mixture } from './synthetic-embeddings.js';

const SPREAD = 0.8;

type TenantCorpusSpec = {
  slug: string;
  /** Distinct per tenant: decides its topic centres, its documents and its queries. */
  seed: number;
  docs: number;
};

export type TenantCorpus = TenantCorpusSpec & { mixture: Mixture };

/** About one topic per 200 documents, between 4 and 100, as verify.ts uses 100 for 10,000. */
function clustersFor(docs: number): number {
  return Math.min(100, Math.max(4, Math.round(docs / 200)));
}

export function tenantCorpus(spec: TenantCorpusSpec, dimensions: number): TenantCorpus {
  const mixture = createMixture({ dimensions, clusters: clustersFor(spec.docs), spread: SPREAD, seed: spec.seed * 8 + 1 });
  return { ...spec, mixture };
}

/** The tenant's documents' vectors; the i-th has externalId benchExternalId(i). */
export function corpusVectors(corpus: TenantCorpus): number[][] {
  return corpus.mixture.sample(corpus.docs, corpus.seed * 8 + 2);
}

/** Query vectors from the tenant's own topics; `stream` tells apart independent sets (warm-up, measured). */
export function queryVectors(corpus: TenantCorpus, count: number, stream: number): number[][] {
  return corpus.mixture.sample(count, corpus.seed * 8 + 3 + stream);
}

/** Vectors as the database holds them (float32), with their norms, for exact cosine search. */
export type VectorMatrix = { rows: number; dimensions: number; data: Float32Array; norms: Float64Array };

export function toMatrix(vectors: readonly (readonly number[])[], dimensions: number): VectorMatrix {
  const data = new Float32Array(vectors.length * dimensions);
  const norms = new Float64Array(vectors.length);
  vectors.forEach((vector, row) => {
    data.set(vector, row * dimensions);
    let sum = 0;
    for (let d = 0; d < dimensions; d += 1) {
      const value = data[row * dimensions + d] as number;
      sum += value * value;
    }
    norms[row] = Math.sqrt(sum);
  });
  return { rows: vectors.length, dimensions, data, norms };
}

/** externalIds of the k rows nearest the query by cosine distance, closest first (exact). */
export function exactTopK(matrix: VectorMatrix, query: readonly number[], k: number): string[] {
  const { rows, dimensions, data, norms } = matrix;
  const q = Float32Array.from(query);
  let qNorm = 0;
  for (let d = 0; d < dimensions; d += 1) qNorm += (q[d] as number) * (q[d] as number);
  qNorm = Math.sqrt(qNorm);
  const bestDistance: number[] = [];
  const bestRow: number[] = [];
  for (let row = 0; row < rows; row += 1) {
    let dot = 0;
    const offset = row * dimensions;
    for (let d = 0; d < dimensions; d += 1) dot += (data[offset + d] as number) * (q[d] as number);
    const distance = 1 - dot / ((norms[row] as number) * qNorm);
    if (bestDistance.length === k && distance >= (bestDistance[k - 1] as number)) continue;
    let at = bestDistance.length;
    while (at > 0 && (bestDistance[at - 1] as number) > distance) at -= 1;
    bestDistance.splice(at, 0, distance);
    bestRow.splice(at, 0, row);
    if (bestDistance.length > k) {
      bestDistance.pop();
      bestRow.pop();
    }
  }
  return bestRow.map(benchExternalId);
}
