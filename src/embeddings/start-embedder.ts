import type { EmbeddingConfig } from './embedding-config.js';
import type { EmbeddingProvider } from './embedding-provider.js';
import { createOpenAiCompatibleProvider } from './openai-compatible.provider.js';
import { type QueryCacheStats, withQueryCache } from './query-cache.js';
import { type SharedBatch, withSharedBatching } from './shared-batcher.js';
import { startUniversalSentenceEncoder } from './universal-sentence-encoder.provider.js';

/** The configured model: the offline default (a worker pool) or an OpenAI-compatible server. */
export async function startEmbedder(config: EmbeddingConfig): Promise<EmbeddingProvider> {
  if (config.provider === 'universal-sentence-encoder') {
    return startUniversalSentenceEncoder(config.workers === undefined ? {} : { workers: config.workers });
  }
  const { provider: _provider, batchWindowMs: _window, queryCacheSize: _cache, ...options } = config;
  return createOpenAiCompatibleProvider(options);
}

export type ServedEmbedder = EmbeddingProvider & { stats(): QueryCacheStats };

/**
 * What requests call: repeated queries come from the LRU, and texts from concurrent requests
 * that arrive within the batch window share one model call.
 */
export function serveEmbedder(
  provider: EmbeddingProvider,
  config: Pick<EmbeddingConfig, 'batchWindowMs' | 'queryCacheSize'>,
  onBatch?: (batch: SharedBatch) => void,
): ServedEmbedder {
  const batched = withSharedBatching(provider, { windowMs: config.batchWindowMs, ...(onBatch ? { onBatch } : {}) });
  return withQueryCache(batched, { maxEntries: config.queryCacheSize });
}
