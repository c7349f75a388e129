/**
 * What the GraphQL layer costs on top of the database: the same tenant search (a) as SQL sent
 * straight through the application's pool (the repository functions the resolver ends in, in one
 * transaction with the same settings) and (b) through the GraphQL HTTP endpoint, on the same data,
 * at each corpus size and client count, with p50/p99 latency, throughput and the ratios b/a.
 * Also: bulk load rows/s of precomputed vectors, HNSW build time, recall@10 against brute force,
 * peak RSS. Progress to stderr; stdout a table, then one JSON object as the last line.
 *
 *   npm run bench:search                          # 10,000 and 100,000 vectors, 1 and 10 clients
 *   BENCH_SIZES=10000 BENCH_QUERIES=200 npm run bench:search
 *   DATABASE_URL=postgres://... npm run bench:search   # an external PostgreSQL with pgvector
 */
import { performance } from 'node:perf_hooks';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { withTransaction } from '../src/db/database.js';
import { toVectorParameter, toVectorText } from '../src/db/vector.js';
import { upsertDocuments } from '../src/documents/document.service.js';
import { createEmbeddingLoaders } from '../src/embeddings/embedding-loaders.js';
import { searchDocuments, setSearchSettings } from '../src/search/search.repository.js';
import { hnswIndexName, type Tenant, shardOf } from '../src/tenants/tenant.js';
import { buildSearchIndex, createTenant, deleteTenant, dropSearchIndex } from '../src/tenants/tenant.service.js';
import { cleanupStep } from './lib/cleanup-step.js';
import { buildHalfvecIndex, dropIndex, indexBytes, searchHalfvec } from './lib/halfvec-lever.js';
import { exactNearest, runConcurrentPass } from './lib/concurrent-pass.js';
import { createKeepAliveClient } from './lib/keepalive-client.js';
import { type LoopbackServer, listenOnLoopback } from './lib/loopback-server.js';
import { startRssSampler } from './lib/rss-sampler.js';
import { recallAtK, round, summarizeLatencies } from './lib/search-metrics.js';
import { createMixture } from './lib/synthetic-embeddings.js';
import { vectorOnlyEmbedder } from './lib/vector-only-embedder.js';

const DIMENSIONS = 512;
const K = 10;
const LOAD_BATCH = 1000;
const CLIENT_COUNTS = [1, 10];
const RECALL_QUERIES = 100;
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const list = (name: string, fallback: number[]) =>
  (process.env[name] ? (process.env[name] as string).split(',').map(Number) : fallback).map((n) => {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must list positive integers`);
    return n;
  });
const sizes = list('BENCH_SIZES', [10_000, 100_000]);
const [queryCount = 500] = list('BENCH_QUERIES', [500]);

const SEARCH = `query BenchSearch($v: [Float!]) { search(vector: $v, first: ${K}) { hits { distance document { id externalId } } } }`;
type SearchData = { search: { hits: { distance: number; document: { id: string; externalId: string } }[] } };

const rss = startRssSampler();
const config = loadConfig({
  ...process.env,
  // One JSON log line per request would drown the figures.
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  // A benchmark is one tenant sending as fast as it can: the per-tenant rate limit would measure itself.
  RATE_LIMIT_PER_SECOND: '0', DATA_DIR: process.env.DATA_DIR ?? 'memory://', SEED_DEMO: 'false', PROMOTION_THRESHOLD: '0' });
const app = await startApp(config, { log, embedder: vectorOnlyEmbedder(DIMENSIONS) });
const server: LoopbackServer = await listenOnLoopback(app.yoga, '/graphql');
const mixture = createMixture({ dimensions: DIMENSIONS, clusters: 100, spread: 0.8, seed: 1 });
const tenants: string[] = [];
type Row = Record<string, number | string>;
const rows: Row[] = [];
const loads: Row[] = [];
const levers: Row[] = [];

try {
  log(`engine: ${app.engine.kind}; sizes ${sizes.join(', ')}; ${queryCount} queries per pass`);
  for (const size of sizes) {
    const slug = `bench-search-${size}-${Date.now()}`;
    const tenant = await createTenant(app.deps, { slug, name: 'bench/search.ts', placement: 'DEDICATED' });
    tenants.push(slug);
    const corpus = mixture.sample(size, 2);
    loads.push({ vectors: size, ...(await load(tenant, corpus)) });
    const queries = mixture.sample(queryCount, 3);
    const truth = queries.slice(0, RECALL_QUERIES).map((q) => exactNearest(corpus.map((v) => Float32Array.from(v)), q, K).map(String));
    const client = createKeepAliveClient(server.url, { 'x-tenant-id': slug }, Math.max(...CLIENT_COUNTS));
    const viaSql = (vector: number[]) =>
      withTransaction(app.deps.db, async (trx) => {
        await setSearchSettings(trx, { efSearch: tenant.efSearch, iterativeScan: false }, { citus: app.deps.citus });
        return searchDocuments(trx, shardOf(tenant), { vector: toVectorParameter(vector), limit: K, metric: app.deps.metric });
      });
    const viaGraphql = (vector: number[]) => client.post<SearchData>(SEARCH, { v: vector });
    // Warm both paths (plans, caches, JIT) before measuring.
    for (const q of mixture.sample(50, 4)) {
      await viaSql(q);
      await viaGraphql(q);
    }
    for (const clients of CLIENT_COUNTS) {
      const a = await runConcurrentPass(queries, clients, viaSql);
      const b = await runConcurrentPass(queries, clients, viaGraphql);
      const found = b.results.slice(0, RECALL_QUERIES).map((r) => r.search.hits.map((h) => h.document.externalId.slice(4)));
      const [la, lb] = [summarizeLatencies(a.latenciesMs), summarizeLatencies(b.latenciesMs)];
      const row = {
        vectors: size,
        clients,
        sql_p50_ms: round(la.p50, 3),
        sql_p99_ms: round(la.p99, 3),
        sql_qps: round(queryCount / a.seconds, 1),
        graphql_p50_ms: round(lb.p50, 3),
        graphql_p99_ms: round(lb.p99, 3),
        graphql_qps: round(queryCount / b.seconds, 1),
        p50_ratio: round(lb.p50 / la.p50, 3),
        throughput_ratio: round(a.seconds / b.seconds, 3),
        recall_at_10: round(recallAtK(found, truth, K), 4),
      };
      rows.push(row);
      log(JSON.stringify(row));
    }
    client.close();
    levers.push({ vectors: size, ...(await leverStudy(tenant, queries, truth)) });
    log(JSON.stringify(levers.at(-1)));
  }
  const columns = Object.keys(rows[0] ?? {});
  console.log(columns.join('\t'));
  for (const row of rows) console.log(columns.map((c) => row[c]).join('\t'));
  for (const l of loads) console.log(`load ${l.vectors}: ${l.rows_per_s} rows/s, HNSW build ${l.build_s} s`);
  for (const l of levers) console.log(`levers ${l.vectors}: ${JSON.stringify(l)}`);
  console.log(
    JSON.stringify({ engine: app.engine.kind, dimensions: DIMENSIONS, k: K, queries: queryCount, passes: rows, loads, levers, peak_rss_mb: round(rss.peakMb(), 0) }),
  );
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  for (const slug of tenants) await cleanupStep('deleteTenant', () => deleteTenant(app.deps, slug));
  await cleanupStep('HTTP server close', () => server.close());
  await cleanupStep('app.close', () => app.close());
}

/** Loads through the document service (as the API does) with the index dropped, then builds it. */
async function load(tenant: Tenant, corpus: number[][]) {
  await dropSearchIndex(app.deps, tenant);
  const started = performance.now();
  for (let start = 0; start < corpus.length; start += LOAD_BATCH) {
    const batch = corpus.slice(start, start + LOAD_BATCH).map((embedding, i) => ({ externalId: `doc-${start + i}`, content: `doc ${start + i}`, embedding }));
    await upsertDocuments(app.deps, createEmbeddingLoaders(app.deps.embedder), tenant, batch);
    if ((start + LOAD_BATCH) % 20_000 === 0) log(`  ${start + LOAD_BATCH} loaded`);
  }
  const loadSeconds = (performance.now() - started) / 1000;
  const buildStarted = performance.now();
  await buildSearchIndex(app.deps, tenant);
  await app.deps.upkeep.idle();
  return { rows_per_s: round(corpus.length / loadSeconds, 0), build_s: round((performance.now() - buildStarted) / 1000, 1) };
}

/**
 * Levers measured in the same run, one client, SQL level: the query vector as text against the
 * binary form the server sends, and an HNSW index over half-precision casts against the full one.
 */
async function leverStudy(tenant: Tenant, queries: number[][], truth: string[][]) {
  const scope = shardOf(tenant);
  const search = (vector: string | Buffer) =>
    withTransaction(app.deps.db, async (trx) => {
      await setSearchSettings(trx, { efSearch: tenant.efSearch, iterativeScan: false }, { citus: app.deps.citus });
      return searchDocuments(trx, scope, { vector, limit: K, metric: app.deps.metric });
    });
  const text = await runConcurrentPass(queries, 1, (q) => search(toVectorText(q)));
  const binary = await runConcurrentPass(queries, 1, (q) => search(toVectorParameter(q)));
  const fullBytes = await indexBytes(app.deps.db, hnswIndexName(tenant.id));
  const started = performance.now();
  const half = await buildHalfvecIndex(app.deps.db, tenant, DIMENSIONS, tenant.hnsw);
  const halfBuild = (performance.now() - started) / 1000;
  // With both indexes present the planner picks by expression, so each query uses its own.
  const halfPass = await runConcurrentPass(queries, 1, (q) => searchHalfvec(app.deps.db, tenant, q, K, DIMENSIONS));
  const halfBytes = await indexBytes(app.deps.db, half);
  await dropIndex(app.deps.db, half);
  const found = (pass: { results: { external_id: string }[][] }) =>
    pass.results.slice(0, RECALL_QUERIES).map((r) => r.map((row) => row.external_id.slice(4)));
  return {
    sql_text_vector_p50_ms: round(summarizeLatencies(text.latenciesMs).p50, 3),
    sql_binary_vector_p50_ms: round(summarizeLatencies(binary.latenciesMs).p50, 3),
    vector_index_mb: round(fullBytes / 2 ** 20, 1),
    vector_recall_at_10: round(recallAtK(found(binary), truth, K), 4),
    halfvec_index_mb: round(halfBytes / 2 ** 20, 1),
    halfvec_build_s: round(halfBuild, 1),
    halfvec_p50_ms: round(summarizeLatencies(halfPass.latenciesMs).p50, 3),
    halfvec_recall_at_10: round(recallAtK(halfPass.results.slice(0, RECALL_QUERIES).map((r) => r.map((id) => id.slice(4))), truth, K), 4),
  };
}
