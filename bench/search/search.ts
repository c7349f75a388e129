/**
 * What the GraphQL layer costs on top of the database: the same tenant search (a) as SQL sent
 * straight through the application's pool (the statements the resolver ends in: the tenant's
 * scope and the search, pipelined in one round trip), (h) that SQL behind a bare node:http
 * handler (JSON in, JSON out, no GraphQL), (y) that SQL behind graphql-yoga as it comes (a
 * one-field schema: the ceiling of any server on yoga, framework-floor.ts) and (b) through
 * Narwhal's GraphQL endpoint, on the same data, at each corpus size and client count, with
 * p50/p99 latency, throughput, the server thread's CPU per request and the ratios b/a, y/a and
 * b/h. Passes alternate their order between repeats, so a machine slowing down mid-run is charged
 * to all four alike. graphql-js runs in production mode, as on a deployed server.
 * Also: bulk load rows/s of precomputed vectors, HNSW build time, recall@10 against brute force,
 * peak RSS, and at the first size the levers: SQL (text or binary vector, unprepared) and GraphQL
 * (compiled or interpreted execution, the operation sent as a persisted hash, and a server process
 * with WORKERS=1 against WORKERS=2 on an external database: graphql-levers.ts). Progress to
 * stderr; stdout a table, then one JSON object as the last line.
 *
 *   npm run bench:search                          # 10,000 and 100,000 vectors, 1 and 10 clients
 *   BENCH_SIZES=10000 BENCH_QUERIES=200 npm run bench:search
 *   DATABASE_URL=postgres://... npm run bench:search   # an external PostgreSQL with pgvector
 *   DATA_DIR=memory:// npm run bench:search           # the embedded engine in memory
 */
import { sql } from 'kysely';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startApp } from '../../src/app.js';
import { toVectorParameter, toVectorText } from '../../src/db/vector.js';
import type { SearchRow } from '../../src/search/search.repository.js';
import { runVectorSearchInOneRoundTrip } from '../../src/search/search-strategy.js';
import { hnswIndexName, type Tenant } from '../../src/tenants/tenant.js';
import { buildSearchIndex, createTenant, deleteTenant, dropSearchIndex } from '../../src/tenants/tenant.service.js';
import { bareSearchHandler } from './bare-search-handler.js';
import { requireProductionLibraries } from '../shared/production-libraries.js';
import { benchConfig, countFromEnv, countsFromEnv } from '../shared/bench-config.js';
import { cleanupStep } from '../shared/cleanup-step.js';
import { type ConcurrentPass, exactNearest, runConcurrentPass } from '../shared/concurrent-pass.js';
import { measureFrameworkFloor, plainYoga } from './framework-floor.js';
import { measureGraphqlLevers } from './graphql-levers.js';
import { startHttpLoadClient } from '../shared/http-load-client.js';
import { LOAD_BATCH, loadVectors } from '../shared/load-vectors.js';
import { type LoopbackServer, listenOnLoopback } from '../shared/loopback-server.js';
import { startRssSampler } from '../shared/rss-sampler.js';
import { recallAtK, round, summarizeLatencies } from '../shared/search-metrics.js';
import { createMixture } from '../shared/synthetic-embeddings.js';
import { type TimedPass as ThreadTimedPass, pooled, withMainThreadCpu } from './thread-cpu.js';
import { vectorOnlyEmbedder } from '../shared/vector-only-embedder.js';


requireProductionLibraries('bench:search');
const DIMENSIONS = 512;
const K = 10;
const CLIENT_COUNTS = [1, 10];
const RECALL_QUERIES = 100;
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const sizes = countsFromEnv('BENCH_SIZES', [10_000, 100_000]);
const queryCount = countFromEnv('BENCH_QUERIES', 500);
// Each pass runs this many times, in alternating order; latencies pool across repeats.
const repeats = countFromEnv('BENCH_REPEATS', 2);

type PathName = 'sql' | 'http' | 'yoga' | 'graphql';
const PATHS: readonly PathName[] = ['sql', 'http', 'yoga', 'graphql'];
const SEARCH = `query BenchSearch($v: [Float!]) { search(vector: $v, first: ${K}) { hits { distance document { id externalId } } } }`;
type SearchData = { search: { hits: { distance: number; document: { id: string; externalId: string } }[] } };

const rss = startRssSampler();
// The embedded engine as a server runs it: persisted to a data directory (a fresh temporary one,
// removed at the end, unless DATA_DIR names one). In memory, PGlite's file system copies growing
// files as they grow: bulk loads measured 3,300-3,900 rows/s there against 4,800 on disk.
const temporaryDataDir = process.env.DATA_DIR || process.env.DATABASE_URL ? undefined : await mkdtemp(join(tmpdir(), 'narwhal-bench-search-'));
const config = benchConfig({ PROMOTION_THRESHOLD: '0', ...(temporaryDataDir ? { DATA_DIR: temporaryDataDir } : {}) });
const app = await startApp(config, { log, embedder: vectorOnlyEmbedder(DIMENSIONS) });
const server: LoopbackServer = await listenOnLoopback(app.yoga, '/graphql');
const mixture = createMixture({ dimensions: DIMENSIONS, clusters: 100, spread: 0.8, seed: 1 });
const tenants: string[] = [];
// A figure is undefined where this platform cannot measure it (thread CPU off Linux).
type Row = Record<string, number | string | undefined>;
const rows: Row[] = [];
const loads: Row[] = [];
const levers: Row[] = [];
let frameworkFloor: Record<string, number | undefined> | undefined;
let warmedUp = false;

try {
  log(`engine: ${app.engine.kind}; sizes ${sizes.join(', ')}; ${queryCount} queries per pass`);
  for (const size of sizes) {
    const slug = `bench-search-${size}-${Date.now()}`;
    const tenant = await createTenant(app.deps, { slug, name: 'bench/search/search.ts', placement: 'DEDICATED' });
    tenants.push(slug);
    const corpus = mixture.sample(size, 2);
    loads.push({ vectors: size, ...(await load(tenant, corpus)) });
    const queries = mixture.sample(queryCount, 3);
    const corpusRows = corpus.map((v) => Float32Array.from(v));
    const truth = queries.slice(0, RECALL_QUERIES).map((q) => exactNearest(corpusRows, q, K).map(String));
    const sqlSearch = (vector: number[]) => searchInOneRoundTrip(tenant, toVectorParameter(vector), { prepare: true });
    const hits = async (vector: number[]) =>
      (await sqlSearch(vector)).map((row) => ({ distance: row.distance, document: { id: String(row.id), externalId: row.external_id } }));
    const bare = await listenOnLoopback(bareSearchHandler(hits), '/search');
    const floor = await listenOnLoopback(plainYoga(hits), '/graphql');
    // HTTP clients run in their own threads, as real clients run elsewhere: their HTTP and JSON
    // work is not charged to the server's event loop.
    const maxClients = Math.max(...CLIENT_COUNTS);
    const graphqlLoad = startHttpLoadClient(server.url, { 'x-tenant-id': slug }, maxClients);
    const bareLoad = startHttpLoadClient(bare.url, {}, maxClients);
    const floorLoad = startHttpLoadClient(floor.url, {}, maxClients);
    const variables = queries.map((v) => ({ v }));
    const paths: Record<PathName, (clients: number, batch: readonly Record<string, unknown>[]) => Promise<ConcurrentPass<unknown>>> = {
      sql: (clients, batch) => runConcurrentPass(batch.map((b) => b.v as number[]), clients, sqlSearch),
      http: (clients, batch) => bareLoad.pass(SEARCH, batch, clients, 0),
      yoga: (clients, batch) => floorLoad.pass(SEARCH, batch, clients, 0),
      graphql: (clients, batch) => graphqlLoad.pass(SEARCH, batch, clients, RECALL_QUERIES),
    };
    // Warm every path (plans, caches, JIT) before measuring.
    const warmup = mixture.sample(50, 4).map((v) => ({ v }));
    for (const path of Object.values(paths)) await path(1, warmup);
    for (const clients of CLIENT_COUNTS) {
      const passes: Record<PathName, TimedPass[]> = { sql: [], http: [], yoga: [], graphql: [] };
      for (let repeat = 0; repeat < repeats; repeat++) {
        const order = repeat % 2 === 0 ? PATHS : [...PATHS].reverse();
        for (const name of order) passes[name].push(await withMainThreadCpu(variables.length, () => paths[name](clients, variables)));
      }
      const found = ((passes.graphql[0] as ConcurrentPass<unknown>).results as SearchData[])
        .slice(0, RECALL_QUERIES)
        .map((r) => r.search.hits.map((h) => h.document.externalId.slice(4)));
      const [a, h, y, b] = [passes.sql, passes.http, passes.yoga, passes.graphql].map((timed) => pooled(timed, queryCount)) as [Pooled, Pooled, Pooled, Pooled];
      const row = {
        vectors: size,
        clients,
        sql_p50_ms: round(a.p50, 3),
        sql_p99_ms: round(a.p99, 3),
        sql_qps: round(a.qps, 1),
        http_p50_ms: round(h.p50, 3),
        http_p99_ms: round(h.p99, 3),
        http_qps: round(h.qps, 1),
        yoga_p50_ms: round(y.p50, 3),
        yoga_p99_ms: round(y.p99, 3),
        yoga_qps: round(y.qps, 1),
        graphql_p50_ms: round(b.p50, 3),
        graphql_p99_ms: round(b.p99, 3),
        graphql_qps: round(b.qps, 1),
        // The server's event loop, per request (Linux): what each path asks of the thread GraphQL runs on.
        sql_main_cpu_ms: a.mainCpuMs,
        http_main_cpu_ms: h.mainCpuMs,
        yoga_main_cpu_ms: y.mainCpuMs,
        graphql_main_cpu_ms: b.mainCpuMs,
        p50_ratio: round(b.p50 / a.p50, 3),
        throughput_ratio: round(b.qps / a.qps, 3),
        // What graphql-yoga as it comes allows on this machine, in the same run: the best ratios
        // any server on it could report.
        floor_p50_ratio: round(y.p50 / a.p50, 3),
        floor_throughput_ratio: round(y.qps / a.qps, 3),
        p50_ratio_vs_http: round(b.p50 / h.p50, 3),
        throughput_ratio_vs_http: round(b.qps / h.qps, 3),
        recall_at_10: round(recallAtK(found, truth, K), 4),
      };
      rows.push(row);
      log(JSON.stringify(row));
    }
    await graphqlLoad.close();
    await bareLoad.close();
    await floorLoad.close();
    await bare.close();
    await floor.close();
    // Levers are measured at the first size, at every size with BENCH_LEVERS=all, never with
    // BENCH_LEVERS=none.
    const levered = process.env.BENCH_LEVERS === 'all' || (process.env.BENCH_LEVERS !== 'none' && size === sizes[0]);
    if (levered) {
      const graphqlLevers = await measureGraphqlLevers(app, config, slug, SEARCH, variables, Math.max(...CLIENT_COUNTS), repeats);
      levers.push({ vectors: size, ...(await leverStudy(tenant, queries, truth)), ...graphqlLevers });
      log(JSON.stringify(levers.at(-1)));
    }
    if (process.env.BENCH_LEVERS !== 'none' && !frameworkFloor) {
      frameworkFloor = await measureFrameworkFloor(SEARCH, variables, CLIENT_COUNTS);
      log(`framework floor: ${JSON.stringify(frameworkFloor)}`);
    }
  }
  const columns = Object.keys(rows[0] ?? {});
  console.log(columns.join('\t'));
  for (const row of rows) console.log(columns.map((c) => row[c] ?? '-').join('\t'));
  for (const l of loads) console.log(`load ${l.vectors}: ${l.rows_per_s} rows/s, HNSW build ${l.build_s} s`);
  for (const l of levers) console.log(`levers ${l.vectors}: ${JSON.stringify(l)}`);
  if (frameworkFloor) console.log(`framework floor: ${JSON.stringify(frameworkFloor)}`);
  console.log(
    JSON.stringify({
      engine: app.engine.kind,
      dimensions: DIMENSIONS,
      k: K,
      queries: queryCount,
      passes: rows,
      loads,
      levers,
      framework_floor: frameworkFloor,
      peak_rss_mb: round(rss.peakMb(), 0),
    }),
  );
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  for (const slug of tenants) await cleanupStep('deleteTenant', () => deleteTenant(app.deps, slug));
  await cleanupStep('HTTP server close', () => server.close());
  await cleanupStep('app.close', () => app.close());
  if (temporaryDataDir) await cleanupStep('remove data directory', () => rm(temporaryDataDir, { recursive: true, force: true }));
}

type TimedPass = ConcurrentPass<unknown> & ThreadTimedPass;
type Pooled = ReturnType<typeof pooled>;

/**
 * Loads through the document service (as the API does, in batches of the API's default largest)
 * with the index dropped, then builds it. The first load of a run is preceded by a short untimed
 * one into a scratch tenant, so a bulk load is measured at its steady rate: with 1,000-row
 * batches the first 10,000-vector load of a process measured 3,969-4,599 rows/s, later ones in
 * the same process 5,287-5,863.
 */
async function load(tenant: Tenant, corpus: number[][]) {
  if (!warmedUp) {
    const scratch = await createTenant(app.deps, { slug: `bench-search-warmup-${Date.now()}`, name: 'bench/search/search.ts warm-up', placement: 'DEDICATED' });
    tenants.push(scratch.slug);
    await dropSearchIndex(app.deps, scratch);
    await loadVectors(app.deps, scratch, corpus.slice(0, 2 * LOAD_BATCH), log);
    warmedUp = true;
  }
  await dropSearchIndex(app.deps, tenant);
  const started = performance.now();
  await loadVectors(app.deps, tenant, corpus, log);
  const loadSeconds = (performance.now() - started) / 1000;
  const buildStarted = performance.now();
  await buildSearchIndex(app.deps, tenant);
  await app.deps.maintenance.idle();
  return { rows_per_s: round(corpus.length / loadSeconds, 0), build_s: round((performance.now() - buildStarted) / 1000, 1) };
}

/**
 * The SQL path (a): the scope and search statements a vector search by the GraphQL endpoint sends
 * (runVectorSearchInOneRoundTrip), pipelined through the application's pool. prepare: false sends
 * the same statements unnamed, to measure what preparing them saves.
 */
async function searchInOneRoundTrip(tenant: Tenant, vector: string | Buffer, options: { prepare: boolean }): Promise<SearchRow[]> {
  const params = { vector, limit: K, metric: app.deps.metric };
  const plan = { efSearch: tenant.efSearch, iterativeScan: false, preset: true };
  const found = await runVectorSearchInOneRoundTrip(app.deps.database, tenant, params, plan, options);
  if (!found) throw new Error('a search came back short');
  return found.rows;
}

/**
 * Levers measured in the same run, one client, SQL level: the query vector as text against the
 * binary form the server sends, and the statements unprepared against prepared. (Half-precision
 * indexes are VECTOR_STORAGE=float16 now: bench:dims measures them.)
 */
async function leverStudy(tenant: Tenant, queries: number[][], truth: string[][]) {
  const search = (vector: string | Buffer, prepare = true) => searchInOneRoundTrip(tenant, vector, { prepare });
  const text = await runConcurrentPass(queries, 1, (q) => search(toVectorText(q)));
  const binary = await runConcurrentPass(queries, 1, (q) => search(toVectorParameter(q)));
  const unprepared = await runConcurrentPass(queries, 1, (q) => search(toVectorParameter(q), false));
  const fullBytes = await indexBytes(hnswIndexName(tenant.id));
  const found = (pass: { results: { external_id: string }[][] }) =>
    pass.results.slice(0, RECALL_QUERIES).map((r) => r.map((row) => row.external_id.slice(4)));
  return {
    sql_text_vector_p50_ms: round(summarizeLatencies(text.latenciesMs).p50, 3),
    sql_binary_vector_p50_ms: round(summarizeLatencies(binary.latenciesMs).p50, 3),
    sql_unprepared_p50_ms: round(summarizeLatencies(unprepared.latenciesMs).p50, 3),
    vector_index_mb: round(fullBytes / 2 ** 20, 1),
    vector_recall_at_10: round(recallAtK(found(binary), truth, K), 4),
  };
}

async function indexBytes(name: string): Promise<number> {
  const { rows } = await sql<{ bytes: string }>`select pg_relation_size(to_regclass(${name})) as bytes`.execute(app.deps.database.db);
  return Number(rows[0]?.bytes ?? 0);
}
