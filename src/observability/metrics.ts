import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolUsage } from '../db/database.js';
import type { QueryCacheStats } from '../embeddings/query-cache.js';
import type { SharedBatch } from '../embeddings/shared-batcher.js';
import { createBoundedLabel } from './bounded-labels.js';

export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

/** Metrics of one application, in a registry of its own (several apps can share a process). */
export type AppMetrics = {
  registry: Registry;
  /** One finished GraphQL request; the operation label is bounded here. */
  observeRequest(operation: string, type: OperationType, seconds: number): void;
  /** The extensions.code of each error a response carried; bounded here. */
  countErrors(codes: readonly string[]): void;
  countSearch(search: { strategy: string; mode: string }): void;
  observeEmbeddingBatch(batch: SharedBatch): void;
  /** Sources read at scrape time. */
  watch(sources: { queryCache?: () => QueryCacheStats; pool?: () => PoolUsage | undefined }): void;
};

export type MetricsOptions = {
  /** Operation labels that always pass: the schema's root field names. */
  knownOperations: Iterable<string>;
  /** Error codes that always pass: the catalogue. */
  knownErrorCodes: Iterable<string>;
  /** Other operation names kept as labels before the rest become "other". Default 100. */
  maxOperationNames?: number;
};

export function createMetrics(options: MetricsOptions): AppMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const operationLabel = createBoundedLabel({ known: options.knownOperations, maxDistinct: options.maxOperationNames ?? 100 });
  const codeLabel = createBoundedLabel({ known: options.knownErrorCodes, maxDistinct: 20, pattern: /^[A-Z][A-Z0-9_]*$/ });
  const sources: { queryCache?: () => QueryCacheStats; pool?: () => PoolUsage | undefined } = {};

  const requests = new Histogram({
    name: 'narwhal_graphql_request_duration_seconds',
    help: 'GraphQL requests by operation (bounded: unknown names beyond the limit are "other") and type',
    labelNames: ['operation', 'type'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const errors = new Counter({ name: 'narwhal_graphql_errors_total', help: 'GraphQL errors by extensions.code', labelNames: ['code'], registers });
  const searches = new Counter({
    name: 'narwhal_search_total',
    help: 'Searches by strategy (EXACT, HNSW, HNSW_ITERATIVE) and mode (VECTOR, KEYWORD, HYBRID)',
    labelNames: ['strategy', 'mode'],
    registers,
  });
  const batchSizes = new Histogram({
    name: 'narwhal_embedding_batch_size',
    help: 'Distinct texts per embedding model call, by kind (documents, queries)',
    labelNames: ['kind'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers,
  });
  const batchSeconds = new Histogram({
    name: 'narwhal_embedding_batch_duration_seconds',
    help: 'Embedding model call time, by kind and outcome (ok, error)',
    labelNames: ['kind', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  // The cache counts on its own; the scrape turns its running totals into counter increments.
  const seen = { hits: 0, joined: 0, misses: 0 };
  new Counter({
    name: 'narwhal_query_cache_lookups_total',
    help: 'Query texts answered by the embedding cache (hit), by an identical call in flight (joined), or by the model (miss)',
    labelNames: ['result'],
    registers,
    collect() {
      const stats = sources.queryCache?.();
      if (!stats) return;
      for (const [result, key] of [['hit', 'hits'], ['joined', 'joined'], ['miss', 'misses']] as const) {
        if (stats[key] > seen[key]) this.inc({ result }, stats[key] - seen[key]);
        seen[key] = stats[key];
      }
    },
  });
  new Gauge({
    name: 'narwhal_query_cache_entries',
    help: 'Query vectors held by the embedding cache',
    registers,
    collect() {
      const stats = sources.queryCache?.();
      if (stats) this.set(stats.size);
    },
  });
  new Gauge({
    name: 'narwhal_db_pool_connections',
    help: 'Database pool connections: total open, idle, and clients waiting for one',
    labelNames: ['state'],
    registers,
    collect() {
      const usage = sources.pool?.();
      if (!usage) return;
      this.set({ state: 'total' }, usage.total);
      this.set({ state: 'idle' }, usage.idle);
      this.set({ state: 'waiting' }, usage.waiting);
    },
  });

  return {
    registry,
    observeRequest: (operation, type, seconds) => requests.observe({ operation: operationLabel(operation), type }, seconds),
    countErrors: (codes) => {
      for (const code of codes) errors.inc({ code: codeLabel(code) });
    },
    countSearch: ({ strategy, mode }) => searches.inc({ strategy, mode }),
    observeEmbeddingBatch: (batch) => {
      batchSizes.observe({ kind: batch.kind }, batch.size);
      batchSeconds.observe({ kind: batch.kind, outcome: batch.ok ? 'ok' : 'error' }, batch.ms / 1000);
    },
    watch: (watched) => Object.assign(sources, watched),
  };
}
