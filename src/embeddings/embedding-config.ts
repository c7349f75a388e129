import { z } from 'zod';
import { booleanFlag, integer } from '../environment-values.js';
import type { OpenAiCompatibleProviderOptions } from './openai-compatible.options.js';

/** The embedding settings of the environment (src/config.ts parses them with the rest). */
export const embeddingEnvironment = {
  EMBEDDING_PROVIDER: z.enum(['universal-sentence-encoder', 'openai']).default('universal-sentence-encoder'),
  EMBEDDING_WORKERS: integer(1, 64).optional(),
  EMBEDDING_BASE_URL: z.string().url().optional(),
  EMBEDDING_MODEL: z.string().min(1).optional(),
  EMBEDDING_API_KEY: z.string().min(1).optional(),
  EMBEDDING_DIMENSIONS: integer(1, 16_000).optional(),
  EMBEDDING_SEND_DIMENSIONS: booleanFlag.optional(),
  EMBEDDING_QUERY_PREFIX: z.string().optional(),
  EMBEDDING_DOCUMENT_PREFIX: z.string().optional(),
  EMBEDDING_MAX_BATCH_INPUTS: integer(1, 100_000).optional(),
  EMBEDDING_MAX_BATCH_TOKENS: integer(1, 10_000_000).optional(),
  EMBEDDING_MAX_CONCURRENCY: integer(1, 256).optional(),
  EMBEDDING_TIMEOUT_MS: integer(1, 600_000).optional(),
  EMBEDDING_MAX_RETRIES: integer(0, 20).optional(),
  EMBEDDING_CIRCUIT_FAILURES: integer(1, 1000).optional(),
  EMBEDDING_CIRCUIT_COOLDOWN_MS: integer(1, 3_600_000).optional(),
  EMBEDDING_BATCH_WINDOW_MS: integer(0, 1000).default(2),
  QUERY_CACHE_SIZE: integer(0, 10_000_000).default(10_000),
};

type EmbeddingEnvironment = z.infer<z.ZodObject<typeof embeddingEnvironment>>;

export function refineEmbedding(e: EmbeddingEnvironment, ctx: z.RefinementCtx): void {
  if (e.EMBEDDING_PROVIDER !== 'openai') return;
  for (const name of ['EMBEDDING_BASE_URL', 'EMBEDDING_MODEL', 'EMBEDDING_DIMENSIONS'] as const) {
    if (e[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'is required when EMBEDDING_PROVIDER=openai' });
  }
}

/** Which model embeds, and how calls to it are batched and cached (src/embeddings/start-embedder.ts). */
export type EmbeddingConfig = {
  /** Texts arriving within this many ms of each other, from any request, share one model call. */
  batchWindowMs: number;
  /** Query embeddings kept in an LRU; 0 turns the cache off. */
  queryCacheSize: number;
} & (
  | { provider: 'universal-sentence-encoder'; workers: number | undefined }
  | ({ provider: 'openai' } & OpenAiCompatibleProviderOptions)
);

export function embeddingConfig(e: EmbeddingEnvironment): EmbeddingConfig {
  const shared = { batchWindowMs: e.EMBEDDING_BATCH_WINDOW_MS, queryCacheSize: e.QUERY_CACHE_SIZE };
  if (e.EMBEDDING_PROVIDER === 'universal-sentence-encoder') {
    return { ...shared, provider: 'universal-sentence-encoder', workers: e.EMBEDDING_WORKERS };
  }
  return {
    ...shared,
    provider: 'openai',
    // Checked present by the schema's refinement above.
    baseUrl: e.EMBEDDING_BASE_URL as string,
    model: e.EMBEDDING_MODEL as string,
    dimensions: e.EMBEDDING_DIMENSIONS as number,
    apiKey: e.EMBEDDING_API_KEY,
    sendDimensions: e.EMBEDDING_SEND_DIMENSIONS,
    queryPrefix: e.EMBEDDING_QUERY_PREFIX,
    documentPrefix: e.EMBEDDING_DOCUMENT_PREFIX,
    maxBatchInputs: e.EMBEDDING_MAX_BATCH_INPUTS,
    maxBatchTokens: e.EMBEDDING_MAX_BATCH_TOKENS,
    maxConcurrentRequests: e.EMBEDDING_MAX_CONCURRENCY,
    timeoutMs: e.EMBEDDING_TIMEOUT_MS,
    maxRetries: e.EMBEDDING_MAX_RETRIES,
    circuitFailureThreshold: e.EMBEDDING_CIRCUIT_FAILURES,
    circuitCooldownMs: e.EMBEDDING_CIRCUIT_COOLDOWN_MS,
  };
}
