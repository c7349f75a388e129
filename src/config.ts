import { join } from 'node:path';
import { z } from 'zod';
import { booleanFlag, integer } from './environment-values.js';
import { type EmbeddingConfig, embeddingConfig, embeddingEnvironment, refineEmbedding } from './embeddings/embedding-config.js';
import { DISTANCE_METRICS } from './db/vector.js';
import { VECTOR_STORAGES, type VectorStorage } from './db/vector-storage.js';
import { AUTH_MODES, type AuthConfig } from './auth/auth-config.js';
import { LOG_LEVELS, type LogLevel } from './logging/logger.js';
import { OFFLOAD_PAUSE_POINTS, type OffloadPausePoint } from './tenants/offload-pause.js';

/** Every setting Narwhal reads from the environment, with its default. */
const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: integer(0, 65535).default(4000),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  EMBEDDED_DB_PORT: integer(0, 65535).default(0),
  EMBEDDED_FSYNC: booleanFlag.default(true),
  DATABASE_POOL_SIZE: integer(1, 100).default(10),
  ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  AUTH_MODE: z.enum(AUTH_MODES).default('dev'),
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters (HS256 wants a 256-bit key)').optional(),
  JWT_JWKS_URL: z.string().url().optional(),
  JWT_JWKS_FILE: z.string().min(1).optional(),
  JWT_TENANT_CLAIM: z.string().min(1).default('tenant'),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  DISTANCE_METRIC: z.enum(DISTANCE_METRICS).default('cosine'),
  VECTOR_STORAGE: z.enum(VECTOR_STORAGES).default('float32'),
  MAX_BATCH_SIZE: integer(1, 100_000).default(1000),
  SHARED_BUCKETS: integer(1, 1024).default(16),
  TEXT_SEARCH_CONFIG: z
    .string()
    .regex(/^[a-z_]{1,63}$/, 'TEXT_SEARCH_CONFIG must name a PostgreSQL text search configuration, e.g. english')
    .default('english'),
  PROMOTION_THRESHOLD: integer(0, 100_000_000).default(10_000),
  TENANT_CACHE_TTL_MS: integer(0, 3_600_000).default(5000),
  SEED_DEMO: booleanFlag.optional(),
  HYBRID_VECTOR_TRUST: z.coerce.number().min(0).max(100).optional(),
  ...embeddingEnvironment,
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  METRICS_ENABLED: booleanFlag.default(true),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(10_000),
  MAX_QUERY_DEPTH: integer(1, 1000).default(10),
  MAX_QUERY_COST: integer(1, 1_000_000_000).default(100_000),
  MAX_ALIASES: integer(0, 100_000).default(20),
  MAX_TOKENS: integer(1, 10_000_000).default(5000),
  MAX_DIRECTIVES: integer(0, 100_000).default(50),
  MAX_REQUEST_BYTES: integer(1024, 2 ** 31 - 1).default(32 * 1024 * 1024),
  STATEMENT_TIMEOUT_MS: integer(0, 86_400_000).default(15_000),
  INTROSPECTION: booleanFlag.optional(),
  GRAPHIQL: booleanFlag.optional(),
  PERSISTED_OPERATIONS: z.enum(['automatic', 'trusted', 'off']).default('automatic'),
  TRUSTED_DOCUMENTS: z.string().min(1).optional(),
  WORKERS: integer(1, 256).default(1),
  RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).max(1_000_000).default(50),
  RATE_LIMIT_BURST: integer(1, 1_000_000).default(100),
  MAX_DOCUMENTS_PER_TENANT: integer(0, Number.MAX_SAFE_INTEGER).default(0),
  OFFLOAD_DIR: z.string().min(1).optional(),
  OFFLOAD_TEST_PAUSE: z.enum(OFFLOAD_PAUSE_POINTS).optional(),
  RECALL_SAMPLE_RATE: z.coerce
    .number({ error: 'must be a number from 0 to 1: the share of searches sampled, e.g. 0.01' })
    .min(0, 'must be from 0 to 1 (0 turns recall sampling off)')
    .max(1, 'must be from 0 to 1 (1 samples every search)')
    .default(0.01),
  EXPIRY_PURGE_INTERVAL_MS: integer(0, 86_400_000).default(60_000),
  EXPIRY_PURGE_BATCH_SIZE: integer(1, 100_000).default(500),
  USAGE_FLUSH_INTERVAL_MS: integer(0, 3_600_000).default(5000),
}).superRefine(refineAuth).superRefine(refineEmbedding).superRefine(refineOffload).superRefine(refineServing);

export type Config = {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Absent: run the embedded PGlite engine persisted in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedDbPort: number;
  /** The embedded engine fsyncs each commit before acknowledging it (off: survives a killed process only). */
  embeddedFsync: boolean;
  databasePoolSize: number;
  adminToken: string | undefined;
  /** How tenant requests authenticate (AUTH_MODE and the JWT_* settings). */
  auth: AuthConfig;
  distanceMetric: (typeof DISTANCE_METRICS)[number];
  /** Precision of the HNSW indexes (float16: half the memory); fixed at database creation. */
  vectorStorage: VectorStorage;
  maxBatchSize: number;
  /** Hash buckets of the shared pool; fixed when the database is created. */
  sharedBuckets: number;
  /** PostgreSQL text search configuration (language) of keyword search; fixed at database creation. */
  textSearchConfig: string;
  /** Documents at which a shared tenant is promoted to a dedicated partition; 0: never automatically. */
  promotionThreshold: number;
  seedDemo: boolean;
  /** How long a resolved tenant is reused by later requests (tenants/tenant-cache.ts); 0: never. */
  tenantCacheTtlMs: number;
  /** HYBRID's trust in the embedder against keyword ranking; absent: measured per model, else 1. */
  hybridVectorTrust: number | undefined;
  embedding: EmbeddingConfig;
  logLevel: LogLevel;
  /** Serve Prometheus metrics at /metrics. */
  metricsEnabled: boolean;
  /** OTLP/HTTP collector base URL (spans go to <url>/v1/traces); absent: tracing off. */
  otlpEndpoint: string | undefined;
  /** How long a SIGTERM waits for in-flight requests before closing their connections. */
  shutdownTimeoutMs: number;
  requestLimits: RequestLimits;
  /** Whether __schema/__type queries are answered (federation's _service { sdl } always is). */
  introspection: boolean;
  /** Whether GET /graphql from a browser serves GraphiQL. */
  graphiql: boolean;
  /** Operations named by hash: automatic persisted queries, trusted documents only (read from the file), or off. */
  persistedOperations: { mode: 'automatic' | 'off' } | { mode: 'trusted'; file: string };
  /** Server processes sharing the port (node:cluster); more than 1 only on an external database. */
  workers: number;
  /** Longest a statement of a tenant's request may run (transaction-local statement_timeout); 0: no limit. */
  statementTimeoutMs: number;
  /** Per-tenant token bucket: sustained requests per second and burst; perSecond 0 turns it off. */
  rateLimit: { perSecond: number; burst: number };
  /** Most documents one tenant may hold; 0: unlimited. */
  maxDocumentsPerTenant: number;
  /**
   * Where offloadTenant writes tenants' archives. Default <DATA_DIR>/offload on the embedded
   * engine; with DATABASE_URL it must be set (storage every server process sees), else offloading
   * is refused. Undefined: offloading refused.
   */
  offloadDir: string | undefined;
  /** Tests only (crash tests): the offload step at which the server stops and waits to be killed. */
  offloadTestPause: OffloadPausePoint | undefined;
  /** Share of DEDICATED tenants' searches re-run exactly to estimate their recall (search/recall-sampler.ts); 0: off. */
  recallSampleRate: number;
  /** Expired documents (and old usage rows) are deleted every this many ms, batchSize rows a transaction; 0: never. */
  expiryPurge: { intervalMs: number; batchSize: number };
  /** How often usage counts go from memory to tenant_usage_daily; 0: only on shutdown. */
  usageFlushIntervalMs: number;
};

/** What one request may ask for, checked before anything reaches the database or the embedder. */
export type RequestLimits = {
  maxDepth: number;
  /** graphql-armor's cost: objects 2, scalars 1, x1.5 per level, times a literal or variable `first`. */
  maxCost: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  /** Largest request body; a bigger one gets 413 before it is read in full. */
  maxRequestBytes: number;
};

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
    embeddedFsync: e.EMBEDDED_FSYNC,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    adminToken: e.ADMIN_TOKEN,
    auth: authConfig(e),
    distanceMetric: e.DISTANCE_METRIC,
    vectorStorage: e.VECTOR_STORAGE,
    maxBatchSize: e.MAX_BATCH_SIZE,
    sharedBuckets: e.SHARED_BUCKETS,
    textSearchConfig: e.TEXT_SEARCH_CONFIG,
    promotionThreshold: e.PROMOTION_THRESHOLD,
    seedDemo: e.SEED_DEMO ?? e.NODE_ENV !== 'production',
    hybridVectorTrust: e.HYBRID_VECTOR_TRUST,
    tenantCacheTtlMs: e.TENANT_CACHE_TTL_MS,
    embedding: embeddingConfig(e),
    logLevel: e.LOG_LEVEL,
    metricsEnabled: e.METRICS_ENABLED,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    requestLimits: {
      maxDepth: e.MAX_QUERY_DEPTH,
      maxCost: e.MAX_QUERY_COST,
      maxAliases: e.MAX_ALIASES,
      maxTokens: e.MAX_TOKENS,
      maxDirectives: e.MAX_DIRECTIVES,
      maxRequestBytes: e.MAX_REQUEST_BYTES,
    },
    // A production API does not hand out its schema or a query editor unless asked to.
    introspection: e.INTROSPECTION ?? e.NODE_ENV !== 'production',
    graphiql: e.GRAPHIQL ?? e.NODE_ENV !== 'production',
    persistedOperations:
      e.PERSISTED_OPERATIONS === 'trusted' ? { mode: 'trusted', file: e.TRUSTED_DOCUMENTS as string } : { mode: e.PERSISTED_OPERATIONS },
    workers: e.WORKERS,
    statementTimeoutMs: e.STATEMENT_TIMEOUT_MS,
    rateLimit: { perSecond: e.RATE_LIMIT_PER_SECOND, burst: e.RATE_LIMIT_BURST },
    maxDocumentsPerTenant: e.MAX_DOCUMENTS_PER_TENANT,
    offloadDir: e.OFFLOAD_DIR ?? (e.DATABASE_URL || e.DATA_DIR.startsWith('memory://') ? undefined : join(e.DATA_DIR, 'offload')),
    offloadTestPause: e.OFFLOAD_TEST_PAUSE,
    recallSampleRate: e.RECALL_SAMPLE_RATE,
    expiryPurge: { intervalMs: e.EXPIRY_PURGE_INTERVAL_MS, batchSize: e.EXPIRY_PURGE_BATCH_SIZE },
    usageFlushIntervalMs: e.USAGE_FLUSH_INTERVAL_MS,
  };
}

// A pause hook that stops offloads would be an outage in production: only tests may set it.
function refineOffload(e: { NODE_ENV: string; OFFLOAD_TEST_PAUSE?: string | undefined }, ctx: z.RefinementCtx): void {
  if (e.OFFLOAD_TEST_PAUSE !== undefined && e.NODE_ENV === 'production') {
    ctx.addIssue({ code: 'custom', path: ['OFFLOAD_TEST_PAUSE'], message: 'is for crash tests and cannot be set when NODE_ENV=production' });
  }
}

type AuthEnvironment = {
  NODE_ENV: string;
  AUTH_MODE: (typeof AUTH_MODES)[number];
  JWT_SECRET?: string | undefined;
  JWT_JWKS_URL?: string | undefined;
  JWT_JWKS_FILE?: string | undefined;
  JWT_TENANT_CLAIM: string;
  JWT_AUDIENCE?: string | undefined;
  JWT_ISSUER?: string | undefined;
};

function refineServing(
  e: { PERSISTED_OPERATIONS: string; TRUSTED_DOCUMENTS?: string | undefined; WORKERS: number; PORT: number; DATABASE_URL?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if ((e.PERSISTED_OPERATIONS === 'trusted') !== (e.TRUSTED_DOCUMENTS !== undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['TRUSTED_DOCUMENTS'],
      message: 'names the trusted-documents manifest, and is set exactly when PERSISTED_OPERATIONS=trusted',
    });
  }
  // The embedded engine belongs to one process (its data directory's lock).
  if (e.WORKERS > 1 && e.DATABASE_URL === undefined) {
    ctx.addIssue({ code: 'custom', path: ['WORKERS'], message: 'more than 1 needs DATABASE_URL: the embedded engine serves one process' });
  }
  // Under node:cluster the workers' listen(0) share one random port, which closes with the worker that opened it.
  if (e.WORKERS > 1 && e.PORT === 0) ctx.addIssue({ code: 'custom', path: ['WORKERS'], message: 'more than 1 needs a fixed PORT, not 0' });
}

// dev mode trusts a header anyone can send: never in production.
function refineAuth(e: AuthEnvironment, ctx: z.RefinementCtx): void {
  if (e.NODE_ENV === 'production' && e.AUTH_MODE === 'dev') {
    ctx.addIssue({
      code: 'custom',
      path: ['AUTH_MODE'],
      message: 'must be apikey or jwt when NODE_ENV=production: dev trusts the x-tenant-id header from anyone',
    });
  }
  if (e.AUTH_MODE !== 'jwt') return;
  const keys = (['JWT_SECRET', 'JWT_JWKS_URL', 'JWT_JWKS_FILE'] as const).filter((name) => e[name] !== undefined);
  if (keys.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['JWT_SECRET'],
      message: `AUTH_MODE=jwt needs exactly one of JWT_SECRET, JWT_JWKS_URL, JWT_JWKS_FILE (got ${keys.length === 0 ? 'none' : keys.join(', ')})`,
    });
  }
}

function authConfig(e: AuthEnvironment): AuthConfig {
  if (e.AUTH_MODE !== 'jwt') return { mode: e.AUTH_MODE };
  // Exactly one key source is set: refineAuth checked.
  const key = e.JWT_SECRET
    ? { kind: 'secret' as const, secret: e.JWT_SECRET }
    : e.JWT_JWKS_URL
      ? { kind: 'jwks-url' as const, url: e.JWT_JWKS_URL }
      : { kind: 'jwks-file' as const, path: e.JWT_JWKS_FILE as string };
  return { mode: 'jwt', key, tenantClaim: e.JWT_TENANT_CLAIM, audience: e.JWT_AUDIENCE, issuer: e.JWT_ISSUER };
}
