import { type RawBuilder, sql } from 'kysely';
import type { DistanceMetric, VectorParameter } from './vector.js';

/**
 * How a deployment stores and indexes its embeddings, by dimension and VECTOR_STORAGE. The column
 * is always vector(d), full precision: exact searches, re-ranking, `similar` and moving rows read
 * it as it is. Only the HNSW index (what must stay in memory) differs, because pgvector's HNSW
 * indexes vector up to 2,000 dimensions, halfvec up to 4,000 and bit up to 64,000:
 *
 * - vector:  float32 up to 2,000 dimensions; `embedding` itself is indexed (as before this module).
 * - halfvec: float16 up to 4,000, and float32 from 2,001 to 4,000: the index holds
 *            `embedding::halfvec(d)`, half the bytes, and the page found is re-sorted exactly.
 * - binary:  above 4,000: the index holds `binary_quantize(embedding)::bit(d)` (1 bit a value);
 *            a deeper candidate list is read by Hamming distance and re-ranked exactly by the full
 *            vector, pgvector's documented pattern.
 */
export const VECTOR_STORAGES = ['float32', 'float16'] as const;
export type VectorStorage = (typeof VECTOR_STORAGES)[number];

export type VectorIndexKind = 'vector' | 'halfvec' | 'binary';

/** pgvector's HNSW limits per indexed type (and vector's own, 16,000). */
export const HNSW_MAX_DIMENSIONS = { vector: 2000, halfvec: 4000, bit: 64_000 } as const;
export const MAX_DIMENSIONS = 16_000;

export type VectorLayout = { dimensions: number; storage: VectorStorage; metric: DistanceMetric; kind: VectorIndexKind };

/** The layout of a deployment; throws on a dimension no pgvector column can hold. */
export function vectorLayout(dimensions: number, storage: VectorStorage, metric: DistanceMetric): VectorLayout {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) {
    throw new Error(`EMBEDDING_DIMENSIONS=${dimensions} is outside 1-${MAX_DIMENSIONS}, what pgvector's vector type holds`);
  }
  const kind: VectorIndexKind =
    storage === 'float32' && dimensions <= HNSW_MAX_DIMENSIONS.vector
      ? 'vector'
      : dimensions <= HNSW_MAX_DIMENSIONS.halfvec
        ? 'halfvec'
        : 'binary';
  return { dimensions, storage, metric, kind };
}

const OPERATOR: Record<DistanceMetric, string> = { cosine: '<=>', l2: '<->', inner_product: '<#>' };
const OPERATOR_CLASS: Record<DistanceMetric, string> = { cosine: 'cosine_ops', l2: 'l2_ops', inner_product: 'ip_ops' };

/** What a tenant's HNSW index is built over: `<expression> <operator class>`, spliced into CREATE INDEX. */
export function hnswIndexTarget(layout: VectorLayout): RawBuilder<unknown> {
  const d = layout.dimensions;
  switch (layout.kind) {
    case 'vector':
      return sql.raw(`embedding vector_${OPERATOR_CLASS[layout.metric]}`);
    case 'halfvec':
      return sql.raw(`(embedding::halfvec(${d})) halfvec_${OPERATOR_CLASS[layout.metric]}`);
    case 'binary':
      // Hamming distance between sign bits stands for the angle; the exact re-rank applies the metric.
      return sql.raw(`(binary_quantize(embedding)::bit(${d})) bit_hamming_ops`);
  }
}

/** The exact distance under the deployment metric: what every hit reports and re-ranking sorts by. */
export function exactDistance(metric: DistanceMetric, vector: VectorParameter): RawBuilder<number> {
  return sql<number>`embedding ${sql.raw(OPERATOR[metric])} ${vector}`;
}

/**
 * The ordering the HNSW index serves, written exactly as the index expression so the planner
 * matches them. The query vector is cast to vector first: a binary parameter is pgvector's
 * float4 wire format, whatever type the expression then needs.
 */
export function indexOrdering(layout: VectorLayout, vector: VectorParameter): RawBuilder<number> {
  const d = sql.lit(layout.dimensions);
  switch (layout.kind) {
    case 'vector':
      return exactDistance(layout.metric, vector);
    case 'halfvec':
      return sql<number>`embedding::halfvec(${d}) ${sql.raw(OPERATOR[layout.metric])} ${vector}::vector::halfvec(${d})`;
    case 'binary':
      return sql<number>`binary_quantize(embedding)::bit(${d}) <~> binary_quantize(${vector}::vector)`;
  }
}

/**
 * How many index candidates a page of `limit` re-ranks. halfvec distances differ from exact ones
 * in the third decimal: the page itself, re-sorted, is enough. One bit a dimension loses much
 * more: RERANK_FACTOR times the page (at least RERANK_MIN). bench:dims on 20,000 clustered
 * 4,096-d vectors measured recall@10 0.873 re-ranking 100, 1.0 re-ranking 200 (p50 11 against
 * 16 ms) and 400 (49 ms). The walk must be as wide (ef_search >= depth): HNSW
 * returns at most ef_search rows.
 */
export function candidateDepth(layout: VectorLayout, limit: number): number {
  if (layout.kind !== 'binary') return limit;
  return Math.min(RERANK_MAX, Math.max(RERANK_MIN, limit * RERANK_FACTOR));
}

const RERANK_FACTOR = 20;
const RERANK_MIN = 200;
const RERANK_MAX = 1000;

/**
 * Whether embeddings stay inline in the heap (PLAIN, migration 0005) or go out of line: a row
 * holds at most about 8 kB, 2,000 float4 values. Out of line the planner leaves the vectors out of
 * a sequential scan's cost; pgvector 0.8's HNSW cost estimate makes up for it (test/search/
 * large-dimensions.test.ts checks that DEDICATED searches still use the index).
 */
export function storesInline(dimensions: number): boolean {
  return dimensions <= HNSW_MAX_DIMENSIONS.vector;
}

/**
 * Transaction-local planner settings of a search that has chosen the HNSW index (a DEDICATED
 * tenant's). With vectors out of line the planner counts only the small heap, so below several
 * thousand rows a scan and sort looks cheaper than the index while it reads every vector from
 * TOAST (measured at 3,072 dimensions and 500 rows: 15 ms against 6 ms through the index).
 * Sorting off leaves the index the only plan without a sort, and changes nothing where every
 * plan sorts (exact scans, the shared pool); with no index, the sort still runs. Before
 * PostgreSQL 18 a disabled node costs 10^10, far above jit_above_cost: JIT then compiled every
 * such search (370 ms of 380 measured at 3,072 dimensions), so JIT goes off with it.
 */
export function plannerSettings(layout: VectorLayout): Record<string, string> {
  return storesInline(layout.dimensions) ? {} : { enable_sort: 'off', jit: 'off' };
}
