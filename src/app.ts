import { join } from 'node:path';
import { resolveAdminToken } from './auth/admin-token.js';
import { createTenantAuthenticator } from './auth/tenant-authenticator.js';
import type { Config } from './config.js';
import { createDatabase } from './db/database.js';
import { assertDeploymentMatches } from './db/deployment-settings.js';
import { vectorLayout } from './db/vector-storage.js';
import { startEmbeddedEngine } from './db/embedded/embedded-engine.js';
import { type Engine, externalEngine } from './db/engine.js';
import { adaptToEngine } from './db/engine-setup.js';
import { migrateToLatest } from './db/migrator.js';
import { seedDemoTenant } from './demo/seed-demo.js';
import type { EmbeddingProvider } from './embeddings/embedding-provider.js';
import { serveEmbedder, startEmbedder } from './embeddings/start-embedder.js';
import { defaultVectorTrust } from './search/fusion.js';
import { type Logger, createLogger } from './logging/logger.js';
import { type Readiness, createReadiness } from './observability/readiness.js';
import { createTelemetry } from './observability/telemetry.js';
import { rootFieldNames } from './graphql/schema.js';
import { type ServerOptions, createServer } from './server.js';
import { loadPersistedOperations } from './graphql/persisted-operations.plugin.js';
import { createTenantCache } from './tenants/tenant-cache.js';
import { createBackgroundMaintenance } from './tenants/background-maintenance.js';
import { type RetentionPurge, startRetentionPurge } from './tenants/retention-purge.js';
import { createUsageRecorder } from './tenants/usage-recorder.js';
import { assertRowSecurityEnforced } from './tenants/row-security.service.js';
import { createRateLimiter } from './tenants/rate-limiter.js';
import { createRecallSampler } from './search/recall-sampler.js';
import { checkRecallSample } from './search/recall.service.js';
import type { ServiceDeps } from './service-deps.js';

export type App = {
  yoga: ReturnType<typeof createServer>;
  /** What yoga was created with: a benchmark builds the same server with one option changed. */
  serverOptions: ServerOptions;
  deps: ServiceDeps;
  engine: Engine;
  adminToken: string;
  logger: Logger;
  /** What /ready reports; graceful shutdown marks it stopping before anything closes. */
  readiness: Readiness;
  /** Deletes expired documents and old usage rows on its timer; runOnce for tests. */
  retentionPurge: RetentionPurge;
  close(): Promise<void>;
};

type Log = (message: string) => void;

/**
 * Wires a running Narwhal from configuration: engine, pool, migrations, embedder, server.
 * main.ts, tests and benchmarks all start the application through here.
 */
export async function startApp(
  config: Config,
  options: {
    embedder?: EmbeddingProvider;
    /** Where JSON log lines go (request lines, and log/logError unless given); default: stdout at LOG_LEVEL. */
    logger?: Logger;
    log?: Log;
    logError?: (error: unknown, requestId?: string) => void;
    onQuery?: (sql: string) => void;
    /** What this process is, for another process refused the embedded engine's DATA_DIR. */
    role?: string;
  } = {},
): Promise<App> {
  const logger = options.logger ?? createLogger(config);
  const log = options.log ?? ((message: string) => logger.info(message));
  const admin = await resolveAdminToken(config);
  // Before the engine starts: a bad manifest stops the server with nothing to close.
  const persistedOperations = await loadPersistedOperations(config.persistedOperations);
  const engine = config.databaseUrl
    ? externalEngine(config.databaseUrl, config.databasePoolSize)
    : await startEmbeddedEngine({
        dataDir: embeddedDataDir(config.dataDir),
        port: config.embeddedDbPort,
        durable: config.embeddedFsync,
        ...(options.role ? { role: options.role } : {}),
      });
  const telemetry = createTelemetry({ ...config, knownOperations: rootFieldNames() });
  const embedder = serveEmbedder(options.embedder ?? (await startEmbedder(config.embedding)), config.embedding, telemetry.onBatch);
  const database = createDatabase(engine, {
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.statementTimeoutMs,
    ...(options.onQuery ? { onQuery: options.onQuery } : {}),
    onIdleError: (error) => logger.warn({ err: error }, 'database connection lost; the pool reconnects on the next query'),
  });
  const { db } = database;
  let embedderOpen = true;
  let closing: Promise<void> | undefined;
  const readiness = createReadiness({ db, embedderLoaded: () => embedderOpen });
  telemetry.metrics?.watch({ queryCache: () => embedder.stats(), pool: () => database.poolUsage() });
  const close = async () => {
    readiness.markStopping();
    await database.destroy();
    await engine.close();
    embedderOpen = false;
    await embedder.close();
    await telemetry.close();
  };
  try {
    // Checked before anything is written: a combination no index can serve stops here.
    const vectors = vectorLayout(embedder.dimensions, config.vectorStorage, config.distanceMetric);
    const applied = await migrateToLatest(db, {
      EMBEDDING_DIMENSIONS: embedder.dimensions,
      DISTANCE_METRIC: config.distanceMetric,
      SHARED_BUCKETS: config.sharedBuckets,
      TEXT_SEARCH_CONFIG: config.textSearchConfig,
      VECTOR_STORAGE: config.vectorStorage,
    });
    if (applied.length > 0) log(`Applied migrations: ${applied.join(', ')}`);
    const adapted = await adaptToEngine(database);
    if (adapted) log(adapted);
    // Tenant requests rely on row-level security as a second wall (migrations 0010, 0015):
    // refuse to serve without it, on every server holding rows too.
    await assertRowSecurityEnforced(database);
    await assertDeploymentMatches(db, {
      embeddingDimensions: embedder.dimensions,
      distanceMetric: config.distanceMetric,
      vectorStorage: config.vectorStorage,
      embeddingModel: embedder.model,
    });
    const logError =
      options.logError ??
      ((error: unknown, requestId?: string) => logger.error({ err: error, requestId }, 'unexpected error'));
    const deps: ServiceDeps = {
      database,
      embedder,
      metric: config.distanceMetric,
      vectors,
      maxBatchSize: config.maxBatchSize,
      maxDocumentsPerTenant: config.maxDocumentsPerTenant,
      textSearchConfig: config.textSearchConfig,
      hybridVectorTrust: defaultVectorTrust(embedder.model, config.hybridVectorTrust),
      tenantCache: createTenantCache({ ttlMs: config.tenantCacheTtlMs }),
      onSearch: telemetry.onSearch,
      ...(config.offloadDir ? { offloadDir: config.offloadDir } : {}),
      ...(config.offloadTestPause ? { offloadTestPause: config.offloadTestPause } : {}),
      // A failed flush keeps its counts and is retried on the next tick: a warning, not an error.
      usage: createUsageRecorder({
        database,
        flushIntervalMs: config.usageFlushIntervalMs,
        onError: (error) => logger.warn({ err: error }, 'usage counts not written yet; retrying on the next flush'),
      }),
      maintenance: createBackgroundMaintenance({
        database,
        vectors,
        promotionThreshold: config.promotionThreshold,
        onError: logError,
      }),
    };
    if (config.recallSampleRate > 0) {
      const onAdjust = (tenant: { slug: string }, change: { from: number; to: number; reason: string }) =>
        logger.info({ tenant: tenant.slug, efSearchFrom: change.from, efSearchTo: change.to, reason: change.reason }, 'recall target: ef_search changed');
      deps.recall = createRecallSampler({
        rate: config.recallSampleRate,
        check: (sample) => checkRecallSample({ ...deps, onAdjust }, sample),
        // Requests waiting for a connection: the exact re-runs wait too.
        busy: () => database.poolUsage().waiting > 0,
        onError: logError,
      });
    }
    const retentionPurge = startRetentionPurge({
      database,
      ...config.expiryPurge,
      // Reads already leave expired rows out: a failed pass only delays giving their space back.
      onError: (error) => logger.warn({ err: error }, 'retention purge failed; retrying on the next interval'),
    });
    if (config.seedDemo && (await seedDemoTenant(deps))) log('Created the demo tenant with a sample corpus');
    const guards = {
      limits: config.requestLimits,
      introspection: config.introspection,
      graphiql: config.graphiql,
      rateLimiter: createRateLimiter(config.rateLimit),
    };
    const serverOptions: ServerOptions = {
      adminToken: admin.token,
      authenticateTenant: await createTenantAuthenticator(deps, config.auth),
      authMode: config.auth.mode,
      logError,
      observability: { logger, telemetry, readiness },
      guards,
      persistedOperations,
    };
    const yoga = createServer(deps, serverOptions);
    return {
      yoga,
      serverOptions,
      deps,
      engine,
      adminToken: admin.token,
      logger,
      readiness,
      retentionPurge,
      // Idempotent: a signal handler and a test may both close the app.
      close: () =>
        (closing ??= (async () => {
          readiness.markStopping();
          await deps.recall?.close();
          await deps.maintenance.idle();
          await retentionPurge.stop();
          // Last: requests have drained, so these are the final counts (a crash loses the unflushed ones).
          await deps.usage?.stop();
          await close();
        })()),
    };
  } catch (error) {
    await close();
    throw error;
  }
}

// PGlite's files live in a subdirectory so the data directory can also hold the admin token.
function embeddedDataDir(dataDir: string): string {
  return dataDir.startsWith('memory://') ? dataDir : join(dataDir, 'pgdata');
}
