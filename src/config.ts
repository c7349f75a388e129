import { z } from 'zod';
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
    databasePoolSize: e.DATABASE_POOL_SIZE,
    adminToken: e.ADMIN_TOKEN,
    distanceMetric: e.DISTANCE_METRIC,
    maxBatchSize: e.MAX_BATCH_SIZE,
    sharedBuckets: e.SHARED_BUCKETS,
    textSearchConfig: e.TEXT_SEARCH_CONFIG,
    promotionThreshold: e.PROMOTION_THRESHOLD,
    seedDemo: e.SEED_DEMO ?? e.NODE_ENV !== 'production',
    hybridVectorTrust: e.HYBRID_VECTOR_TRUST,
  };
}
