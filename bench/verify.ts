/**
 * Verifies search speed and HNSW quality end to end, through the GraphQL HTTP endpoint: loads a
 * synthetic corpus into a fresh tenant without its index, takes exact (sequential scan) results
 * as ground truth, builds the HNSW index, and reports latency percentiles and recall@10.
 * Runs on the embedded engine, or on the server named by DATABASE_URL. The last stdout line is
 * one JSON object with the figures; progress goes to stderr.
 *
 *   npm run bench:verify                                  # 10,000 vectors, 200 queries
 *   BENCH_VECTORS=1000 BENCH_QUERIES=50 npm run bench:verify
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { explain } from '../src/search/search.service.js';
import { hnswIndexName, type Tenant } from '../src/tenants/tenant.js';
import { buildSearchIndex, dropSearchIndex, findTenantBySlug } from '../src/tenants/tenant.service.js';
import { createGraphqlClient, type GraphqlClient } from './lib/graphql-http-client.js';
import { loadDocuments } from './lib/load-documents.js';
import { indexesUsed } from './lib/query-plan.js';
import { runSearchPass } from './lib/search-pass.js';
import { recallAtK, round, summarizeLatencies } from './lib/search-metrics.js';
import { createMixture } from './lib/synthetic-embeddings.js';

const K = 10;
const BATCH_SIZE = 500;
const WARMUP_QUERIES = 20;
const SEEDS = { centres: 1, corpus: 2, queries: 3, warmup: 4 } as const;
const MIXTURE = { clusters: 100, spread: 0.8 } as const;

function countFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const vectorCount = countFromEnv('BENCH_VECTORS', 10_000);
const queryCount = countFromEnv('BENCH_QUERIES', 200);

const config = loadConfig({ ...process.env, DATA_DIR: process.env.DATA_DIR ?? 'memory://', SEED_DEMO: 'false' });
const app = await startApp(config, { log });
const server = createServer(app.yoga);
const slug = `bench-${Date.now()}`;
let admin: GraphqlClient | undefined;
let tenantCreated = false;

try {
  log(config.databaseUrl ? 'engine: external PostgreSQL from DATABASE_URL' : `engine: embedded PGlite (${config.dataDir})`);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const client = createGraphqlClient(url);
  admin = createGraphqlClient(url, { authorization: `Bearer ${app.adminToken}` });

  await admin.request(`mutation ($input: CreateTenantInput!) { createTenant(input: $input) { slug } }`, {
    input: { slug, name: 'Benchmark (bench/verify.ts)' },
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

  const probe = { vector: queries[0] as number[], first: K };
  const exactPlanIndexes = indexesUsed(await explain(app.deps, tenant, probe));
  log(`exact pass: ${queryCount} queries after ${WARMUP_QUERIES} warm-up`);
  const exact = await runSearchPass(client, slug, { queries, warmup, k: K });

  log('building the HNSW index');
  const buildStarted = performance.now();
  await buildSearchIndex(app.deps, tenant);
  const buildSeconds = (performance.now() - buildStarted) / 1000;

  const hnswPlanIndexes = indexesUsed(await explain(app.deps, tenant, probe));
  log(`HNSW pass: ${queryCount} queries after ${WARMUP_QUERIES} warm-up`);
  const hnsw = await runSearchPass(client, slug, { queries, warmup, k: K });

  const shortExact = exact.results.filter((ids) => ids.length < K).length;
  if (shortExact > 0) throw new Error(`${shortExact} exact searches returned fewer than ${K} hits`);
  const exactLatency = summarizeLatencies(exact.latenciesMs);
  const hnswLatency = summarizeLatencies(hnsw.latenciesMs);
  const indexName = hnswIndexName(tenant.id);
  const summary = {
    engine: app.engine.kind,
    metric: app.deps.metric,
    vectors: vectorCount,
    dimensions,
    queries: queryCount,
    k: K,
    exact_p50_ms: round(exactLatency.p50, 2),
    exact_p99_ms: round(exactLatency.p99, 2),
    hnsw_p50_ms: round(hnswLatency.p50, 2),
    hnsw_p99_ms: round(hnswLatency.p99, 2),
    recall_at_10: round(recallAtK(hnsw.results, exact.results, K), 4),
    load_docs_per_s: round(vectorCount / load.seconds, 1),
    build_s: round(buildSeconds, 2),
    hnsw_m: tenant.hnsw.m,
    hnsw_ef_construction: tenant.hnsw.efConstruction,
    ef_search: Math.max(tenant.efSearch, K),
    short_hnsw_pages: hnsw.results.filter((ids) => ids.length < K).length,
    exact_plan_uses_hnsw: exactPlanIndexes.includes(indexName),
    hnsw_plan_uses_hnsw: hnswPlanIndexes.includes(indexName),
  };
  if (summary.exact_plan_uses_hnsw) log('WARNING: the exact pass planned an HNSW index scan; its results are not ground truth');
  if (!summary.hnsw_plan_uses_hnsw) log('WARNING: the HNSW pass did not plan an index scan; recall compares exact with exact');

  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const rows: [string, string][] = [
    ['engine', `${summary.engine}${config.databaseUrl ? ' (DATABASE_URL)' : ''}, metric ${summary.metric}`],
    ['corpus', `${vectorCount} x ${dimensions}d, ${MIXTURE.clusters}-cluster Gaussian mixture`],
    ['load', `${summary.load_docs_per_s} docs/s (${load.seconds.toFixed(2)} s, batches of ${BATCH_SIZE})`],
    ['exact p50 / p99', `${ms(exactLatency.p50)} / ${ms(exactLatency.p99)} (${queryCount} queries)`],
    ['HNSW build', `${summary.build_s} s (m ${summary.hnsw_m}, ef_construction ${summary.hnsw_ef_construction})`],
    ['HNSW p50 / p99', `${ms(hnswLatency.p50)} / ${ms(hnswLatency.p99)} (ef_search ${summary.ef_search})`],
    ['recall@10', `${summary.recall_at_10} (short pages: ${summary.short_hnsw_pages})`],
    ['plans', `exact uses HNSW: ${summary.exact_plan_uses_hnsw}, HNSW pass uses HNSW: ${summary.hnsw_plan_uses_hnsw}`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n'));
  console.log(JSON.stringify(summary));
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  await cleanUp();
}

// Cleanup runs after a failure too; its own failures are reported without hiding the first one.
async function cleanUp(): Promise<void> {
  const step = async (name: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (error) {
      process.exitCode = 1;
      console.error(`[bench] cleanup: ${name} failed:`, error);
    }
  };
  if (tenantCreated && admin) {
    const client = admin;
    await step('deleteTenant', async () => {
      const data = await client.request<{ deleteTenant: boolean }>(`mutation ($slug: String!) { deleteTenant(slug: $slug) }`, { slug });
      if (!data.deleteTenant) throw new Error(`deleteTenant("${slug}") returned false`);
    });
  }
  await step('HTTP server close', () => new Promise<void>((resolve, reject) => (server.listening ? server.close((e) => (e ? reject(e) : resolve())) : resolve())));
  await step('app.close', () => app.close());
}
