import { z } from 'zod';
import type { OpenAiCompatibleProviderOptions } from './embeddings/openai-compatible.options.js';
import { DISTANCE_METRICS } from './search/distance.js';

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/** Every setting Narwhal reads from the environment, with its default. */
const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: integer(0, 65535).default(4000),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  EMBEDDED_DB_PORT: integer(0, 65535).default(0),
  DATABASE_POOL_SIZE: integer(1, 100).default(10),
  ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  DISTANCE_METRIC: z.enum(DISTANCE_METRICS).default('cosine'),
  MAX_BATCH_SIZE: integer(1, 100_000).default(1000),
  SHARED_BUCKETS: integer(1, 1024).default(16),
  TEXT_SEARCH_CONFIG: z
    .string()
    .regex(/^[a-z_]{1,63}$/, 'TEXT_SEARCH_CONFIG must name a PostgreSQL text search configuration, e.g. english')
    .default('english'),
  PROMOTION_THRESHOLD: integer(0, 100_000_000).default(10_000),
  SEED_DEMO: booleanFlag.optional(),
  HYBRID_VECTOR_TRUST: z.coerce.number().min(0).max(100).optional(),
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
}).superRefine((e, ctx) => {
  if (e.EMBEDDING_PROVIDER !== 'openai') return;
  for (const name of ['EMBEDDING_BASE_URL', 'EMBEDDING_MODEL', 'EMBEDDING_DIMENSIONS'] as const) {
    if (e[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: `is required when EMBEDDING_PROVIDER=openai` });
  }
});

export type Config = {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Absent: run the embedded PGlite engine persisted in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedDbPort: number;
  databasePoolSize: number;
  adminToken: string | undefined;
  distanceMetric: (typeof DISTANCE_METRICS)[number];
  maxBatchSize: number;
  /** Hash buckets of the shared pool; fixed when the database is created. */
  sharedBuckets: number;
  /** PostgreSQL text search configuration (language) of keyword search; fixed at database creation. */
  textSearchConfig: string;
  /** Documents at which a shared tenant is promoted to a dedicated partition; 0: never automatically. */
  promotionThreshold: number;
  seedDemo: boolean;
  /** HYBRID's trust in the embedder against keyword ranking; absent: measured per model, else 1. */
  hybridVectorTrust: number | undefined;
  embedding: EmbeddingConfig;
};

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

/** Parses the environment once, reporting every invalid variable together. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  return {
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    embeddedDbPort: e.EMBEDDED_DB_PORT,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    adminToken: e.ADMIN_TOKEN,
    distanceMetric: e.DISTANCE_METRIC,
    maxBatchSize: e.MAX_BATCH_SIZE,
    sharedBuckets: e.SHARED_BUCKETS,
    textSearchConfig: e.TEXT_SEARCH_CONFIG,
    promotionThreshold: e.PROMOTION_THRESHOLD,
    seedDemo: e.SEED_DEMO ?? e.NODE_ENV !== 'production',
    hybridVectorTrust: e.HYBRID_VECTOR_TRUST,
    embedding: embeddingConfig(e),
  };
}

function embeddingConfig(e: z.infer<typeof environmentSchema>): EmbeddingConfig {
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
