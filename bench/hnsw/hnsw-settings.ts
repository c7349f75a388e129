/**
 * Recall@10 and search latency by HNSW build setting (ef_construction) and search setting
 * (ef_search), on one tenant of bench:search's corpus (512-d Gaussian mixture), through the
 * statements a GraphQL vector search sends (one client, SQL level). Chose the tenant defaults in
 * src/tenants/tenant.ts. Truth is brute force over the corpus. Progress to stderr; stdout a table,
 * then one JSON object as the last line.
 *
 *   npm run bench:hnsw                                   # 100,000 vectors, ef_construction 64 and 128
 *   BENCH_SIZE=10000 BENCH_EF_CONSTRUCTION=64,128,200 BENCH_EF_SEARCH=40,100 npm run bench:hnsw
 */
import { performance } from 'node:perf_hooks';
import { startApp } from '../../src/app.js';
import { toVectorParameter } from '../../src/db/vector.js';
import { runVectorSearchInOneRoundTrip } from '../../src/search/search-strategy.js';
import { HNSW_LIMITS } from '../../src/tenants/tenant.js';
import { buildSearchIndex, createTenant, deleteTenant, dropSearchIndex } from '../../src/tenants/tenant.service.js';
import { requireProductionLibraries } from '../shared/production-libraries.js';
import { benchConfig, countFromEnv, countsFromEnv } from '../shared/bench-config.js';
import { cleanupStep } from '../shared/cleanup-step.js';
import { exactNearest, runConcurrentPass } from '../shared/concurrent-pass.js';
import { round, recallAtK, summarizeLatencies } from '../shared/search-metrics.js';
import { createMixture } from '../shared/synthetic-embeddings.js';
import { loadVectors } from '../shared/load-vectors.js';
import { vectorOnlyEmbedder } from '../shared/vector-only-embedder.js';


requireProductionLibraries('bench:hnsw');
const DIMENSIONS = 512;
const K = 10;
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const size = countFromEnv('BENCH_SIZE', 100_000);
const queryCount = countFromEnv('BENCH_QUERIES', 300);
const efConstructions = countsFromEnv('BENCH_EF_CONSTRUCTION', [64, 128]);
const efSearches = countsFromEnv('BENCH_EF_SEARCH', [40, 64, 100, 150]);

const app = await startApp(benchConfig({ PROMOTION_THRESHOLD: '0' }), { log, embedder: vectorOnlyEmbedder(DIMENSIONS) });
const mixture = createMixture({ dimensions: DIMENSIONS, clusters: 100, spread: 0.8, seed: 1 });
const slug = `bench-hnsw-${Date.now()}`;
const rows: Record<string, number>[] = [];
try {
  const tenant = await createTenant(app.deps, { slug, name: 'bench/hnsw/hnsw-settings.ts', placement: 'DEDICATED' });
  await dropSearchIndex(app.deps, tenant);
  const corpus = mixture.sample(size, 2);
  await loadVectors(app.deps, tenant, corpus, log);
  const queries = mixture.sample(queryCount, 3);
  const corpusRows = corpus.map((v) => Float32Array.from(v));
  const truth = queries.map((q) => exactNearest(corpusRows, q, K).map(String));
  for (const efConstruction of efConstructions) {
    await dropSearchIndex(app.deps, tenant);
    const started = performance.now();
    await buildSearchIndex(app.deps, { ...tenant, hnsw: { m: HNSW_LIMITS.m.default, efConstruction } });
    const buildSeconds = (performance.now() - started) / 1000;
    for (const efSearch of efSearches) {
      const params = (q: number[]) => ({ vector: toVectorParameter(q), limit: K, metric: app.deps.metric });
      const plan = { efSearch, iterativeScan: false, preset: true };
      const pass = await runConcurrentPass(queries, 1, async (q) => (await runVectorSearchInOneRoundTrip(app.deps.database, tenant, params(q), plan))?.rows ?? []);
      const found = pass.results.map((result) => result.map((row) => row.external_id.slice(4)));
      const latency = summarizeLatencies(pass.latenciesMs);
      rows.push({
        ef_construction: efConstruction,
        build_s: round(buildSeconds, 1),
        ef_search: efSearch,
        recall_at_10: round(recallAtK(found, truth, K), 4),
        p50_ms: round(latency.p50, 3),
        p99_ms: round(latency.p99, 3),
      });
      log(JSON.stringify(rows.at(-1)));
    }
  }
  const columns = Object.keys(rows[0] ?? {});
  console.log(columns.join('\t'));
  for (const row of rows) console.log(columns.map((c) => row[c]).join('\t'));
  console.log(JSON.stringify({ engine: app.engine.kind, vectors: size, dimensions: DIMENSIONS, m: HNSW_LIMITS.m.default, queries: queryCount, rows }));
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  await cleanupStep('deleteTenant', () => deleteTenant(app.deps, slug));
  await cleanupStep('app.close', () => app.close());
}
