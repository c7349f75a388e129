import type { SharedBatch } from '../embeddings/shared-batcher.js';
import { ERROR_CODES } from '../domain-errors.js';
import { type AppMetrics, createMetrics } from './metrics.js';
import { type Tracing, createTracing } from './tracing.js';

/** This app's metrics (unless disabled) and tracing (when configured), and the hooks that feed them. */
export type Telemetry = {
  metrics: AppMetrics | undefined;
  tracing: Tracing | undefined;
  /** For withSharedBatching: one embedding model call finished. */
  onBatch(batch: SharedBatch): void;
  /** For the search service: one search answered. */
  onSearch(search: { strategy: string; mode: string }): void;
  close(): Promise<void>;
};

/**
 * knownOperations: the schema's root field names (anonymous operations with one root field are
 * labelled by it, so these labels always pass); the caller reads them off the schema it serves.
 */
export function createTelemetry(config: { metricsEnabled: boolean; otlpEndpoint: string | undefined; knownOperations: Iterable<string> }): Telemetry {
  const metrics = config.metricsEnabled
    ? createMetrics({ knownOperations: config.knownOperations, knownErrorCodes: [...ERROR_CODES, 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED'] })
    : undefined;
  const tracing = createTracing(config);
  return {
    metrics,
    tracing,
    onBatch: (batch) => {
      metrics?.observeEmbeddingBatch(batch);
      tracing?.recordEmbeddingBatch(batch);
    },
    onSearch: (search) => metrics?.countSearch(search),
    close: async () => {
      await tracing?.shutdown();
    },
  };
}

