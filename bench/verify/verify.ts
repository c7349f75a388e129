/**
 * Verifies search speed and HNSW quality end to end, through the GraphQL HTTP endpoint: loads a
 * synthetic corpus into a fresh tenant without its index, takes exact (index-less) results as
 * ground truth, builds the HNSW index, and reports latency percentiles and recall@10. Runs on the
 * embedded engine, or on the server named by DATABASE_URL. Progress goes to stderr; stdout is a
 * table and, as its last line, one JSON object with the figures.
 *
 *   npm run bench:verify                                  # 10,000 vectors, 200 queries
 *   BENCH_VECTORS=1000 BENCH_QUERIES=50 npm run bench:verify
 *   BENCH_EF_SEARCH=10 npm run bench:verify               # the searches' efSearch (default: tenant's)
 */
import { performance } from 'node:perf_hooks';
import { startApp } from '../../src/app.js';
import { explain } from '../../src/search/search.service.js';
import { hnswIndexName, type Tenant } from '../../src/tenants/tenant.js';
import { buildSearchIndex, dropSearchIndex, findTenantBySlug } from '../../src/tenants/tenant.service.js';
import { type BenchSummary, formatReport } from './verify-report.js';
import { createGraphqlClient, type GraphqlClient } from '../shared/graphql-client.js';
import { loadDocuments } from '../shared/load-documents.js';
import { type LoopbackServer, listenOnLoopback } from '../shared/loopback-server.js';
import { indexesUsed } from '../shared/query-plan.js';
import { recallAtK, round, summarizeLatencies } from '../shared/search-metrics.js';
import { runSearchPass } from '../shared/search-pass.js';
import { createMixture } from '../shared/synthetic-embeddings.js';
import { cleanupStep } from '../shared/cleanup-step.js';
import { benchConfig, countFromEnv } from '../shared/bench-config.js';

const K = 10;
const BATCH_SIZE = 500;
const WARMUP_QUERIES = 20;
const SEEDS = { centres: 1, corpus: 2, queries: 3, warmup: 4 } as const;
const MIXTURE = { clusters: 100, spread: 0.8 } as const;

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const vectorCount = countFromEnv('BENCH_VECTORS', 10_000);
const queryCount = countFromEnv('BENCH_QUERIES', 200);
const efSearch = process.env.BENCH_EF_SEARCH ? countFromEnv('BENCH_EF_SEARCH', 0) : undefined;

const config = benchConfig();
const app = await startApp(config, { log });
const slug = `bench-${Date.now()}`;
let server: LoopbackServer | undefined;
let admin: GraphqlClient | undefined;
let tenantCreated = false;

try {
  log(config.databaseUrl ? 'engine: external PostgreSQL from DATABASE_URL' : `engine: embedded PGlite (${config.dataDir})`);
  server = await listenOnLoopback(app.yoga, '/graphql');
  const client = createGraphqlClient(server.url);
  admin = createGraphqlClient(server.url, { baseHeaders: { authorization: `Bearer ${app.adminToken}` } });
  await admin.request(`mutation ($input: CreateTenantInput!) { createTenant(input: $input) { slug } }`, {
    input: { slug, name: 'Benchmark (bench/verify/verify.ts)', placement: 'DEDICATED' },
  });
  tenantCreated = true;
  const tenant = (await findTenantBySlug(app.deps, slug)) as Tenant;
  await dropSearchIndex(app.deps, tenant);

  const dimensions = app.deps.embedder.dimensions;
  const mixture = createMixture({ dimensions, ...MIXTURE, seed: SEEDS.centres });
  const corpus = mixture.sample(vectorCount, SEEDS.corpus);
  const queries = mixture.sample(queryCount, SEEDS.queries);
  const warmup = mixture.sample(WARMUP_QUERIES, SEEDS.warmup);

  log(`loading ${vectorCount} vectors of ${dimensions} dimensions in batches of ${BATCH_SIZE}`);
  const load = await loadDocuments(client, slug, {
    vectors: corpus,
    batchSize: BATCH_SIZE,
    onBatch: (loaded) => loaded % 5000 === 0 && log(`  ${loaded} loaded`),
  });
  // The server refreshes the partition's statistics in the background after writes; let it finish.
  await app.deps.maintenance.idle();

  // The service's EXPLAIN of the very query the resolver runs: did each pass measure what it claims?
  const probe = { vector: queries[0] as number[], first: K, efSearch: efSearch ?? null };
  const exactPlanIndexes = indexesUsed(await explain(app.deps, tenant, probe));
  log(`exact pass: ${queryCount} queries after ${WARMUP_QUERIES} warm-up`);
  const exact = await runSearchPass(client, slug, { queries, warmup, k: K });

  log('building the HNSW index');
  const buildStarted = performance.now();
  await buildSearchIndex(app.deps, tenant);
  const buildSeconds = (performance.now() - buildStarted) / 1000;

  const hnswPlanIndexes = indexesUsed(await explain(app.deps, tenant, probe));
  log(`HNSW pass: ${queryCount} queries after ${WARMUP_QUERIES} warm-up`);
  const hnsw = await runSearchPass(client, slug, { queries, warmup, k: K, ...(efSearch ? { efSearch } : {}) });

  const shortExact = exact.results.filter((ids) => ids.length < K).length;
  if (shortExact > 0) throw new Error(`${shortExact} exact searches returned fewer than ${K} hits`);
  const exactLatency = summarizeLatencies(exact.latenciesMs);
  const hnswLatency = summarizeLatencies(hnsw.latenciesMs);
  const indexName = hnswIndexName(tenant.id);
  const summary: BenchSummary = {
    engine: app.engine.kind,
    external_database: config.databaseUrl !== undefined,
    metric: app.deps.metric,
    vectors: vectorCount,
    dimensions,
    clusters: MIXTURE.clusters,
    queries: queryCount,
    k: K,
    exact_p50_ms: round(exactLatency.p50, 2),
    exact_p99_ms: round(exactLatency.p99, 2),
    hnsw_p50_ms: round(hnswLatency.p50, 2),
    hnsw_p99_ms: round(hnswLatency.p99, 2),
    recall_at_10: round(recallAtK(hnsw.results, exact.results, K), 4),
    load_docs_per_s: round(vectorCount / load.seconds, 1),
    load_s: round(load.seconds, 2),
    batch_size: BATCH_SIZE,
    build_s: round(buildSeconds, 2),
    hnsw_m: tenant.hnsw.m,
    hnsw_ef_construction: tenant.hnsw.efConstruction,
    // As the search service computes it: never below the page size.
    ef_search: Math.max(efSearch ?? tenant.efSearch, K),
    short_hnsw_pages: hnsw.results.filter((ids) => ids.length < K).length,
    exact_plan_uses_hnsw: exactPlanIndexes.includes(indexName),
    hnsw_plan_uses_hnsw: hnswPlanIndexes.includes(indexName),
  };
  if (summary.exact_plan_uses_hnsw) log('WARNING: the exact pass planned an HNSW scan: its results are not ground truth');
  if (!summary.hnsw_plan_uses_hnsw) {
    log('WARNING: the HNSW pass planned no HNSW scan, so it measured exact search again');
  }
  console.log(formatReport(summary));
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  await cleanUp();
}

// Runs after a failure too; a failing step is reported without hiding the first error.
async function cleanUp(): Promise<void> {
  const adminClient = admin;
  if (tenantCreated && adminClient) {
    await cleanupStep('deleteTenant', async () => {
      const mutation = `mutation ($slug: String!) { deleteTenant(slug: $slug) }`;
      const data = await adminClient.request<{ deleteTenant: boolean }>(mutation, { slug });
      if (!data.deleteTenant) throw new Error(`deleteTenant("${slug}") returned false`);
    });
  }
  if (server) await cleanupStep('HTTP server close', () => (server as LoopbackServer).close());
  await cleanupStep('app.close', () => app.close());
}
