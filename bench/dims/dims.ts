/**
 * Large embeddings, by dimension and storage (src/db/vector-storage.ts): clustered synthetic
 * vectors loaded into one DEDICATED tenant through the document service, then its HNSW index
 * built, sized and searched through the statements a GraphQL vector search sends (one client).
 * Recall@10 is against the exact answer, computed here by brute force. Each layout runs on a
 * database of its own (the dimension and VECTOR_STORAGE are fixed when one is created): on the
 * server DATABASE_URL names, `<database>_bench_dims_<d>_<storage>`, dropped afterwards; without
 * it, the embedded engine in memory. Progress to stderr; stdout a table, then one JSON object.
 *
 *   npm run bench:dims                                       # 100,000 vectors a layout
 *   BENCH_ROWS=20000 DATABASE_URL=postgres://... npm run bench:dims
 *   BENCH_ROWS=2000 BENCH_LAYOUTS=3072/float32 npm run bench:dims     # embedded, one layout
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { startApp } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { toVectorParameter } from '../../src/db/vector.js';
import type { VectorStorage } from '../../src/db/vector-storage.js';
import { type VectorPlan, planSearch } from '../../src/search/search-plan.js';
import { runVectorSearchInOneRoundTrip } from '../../src/search/search-strategy.js';
import { buildSearchIndex, createTenant, dropSearchIndex } from '../../src/tenants/tenant.service.js';
import { hnswIndexName, partitionName } from '../../src/tenants/tenant.js';
import { benchConfig, countFromEnv } from '../shared/bench-config.js';
import { cleanupStep } from '../shared/cleanup-step.js';
import { runConcurrentPass } from '../shared/concurrent-pass.js';
import { upsertDocuments } from '../../src/documents/document.service.js';
import { createEmbeddingLoaders } from '../../src/embeddings/embedding-loaders.js';
import { round, recallAtK, summarizeLatencies } from '../shared/search-metrics.js';
import { createMixture } from '../shared/synthetic-embeddings.js';
import { vectorOnlyEmbedder } from '../shared/vector-only-embedder.js';
import { dropDatabase, freshDatabase } from './fresh-database.js';
import { StreamingTruth } from './streaming-truth.js';

const K = 10;
const BATCH = 1000;
const log = (message: string) => process.stderr.write(`[bench:dims] ${message}\n`);
const rows = countFromEnv('BENCH_ROWS', 100_000);
const queryCount = countFromEnv('BENCH_QUERIES', 100);
// Every layout a deployment can get at these sizes: 1,536 float32 indexes vector, float16 halfvec;
// 3,072 indexes halfvec under either storage (one run); 4,096 binary with re-ranking.
const layouts = (process.env.BENCH_LAYOUTS || '1536/float32,1536/float16,3072/float32,4096/float32').split(',').map((entry) => {
  const [d, storage] = entry.split('/');
  if (!['float32', 'float16'].includes(storage ?? '') || !Number.isInteger(Number(d))) throw new Error(`BENCH_LAYOUTS: "${entry}" is not <dimensions>/<float32|float16>`);
  return { dimensions: Number(d), storage: storage as VectorStorage };
});

type Figures = Record<string, number | string>;

/** Loads, indexes, sizes and searches one layout on its own database. */
async function runLayout(dimensions: number, storage: VectorStorage): Promise<Figures> {
  const url = process.env.DATABASE_URL ? await freshDatabase(process.env.DATABASE_URL, `bench_dims_${dimensions}_${storage}`) : undefined;
  const app = await startApp(benchConfig({ PROMOTION_THRESHOLD: '0', VECTOR_STORAGE: storage, ...(url ? { DATABASE_URL: url } : {}) }), {
    log,
    embedder: vectorOnlyEmbedder(dimensions),
  });
  try {
    const mixture = createMixture({ dimensions, clusters: 100, spread: 0.8, seed: 1 });
    const queries = mixture.sample(queryCount, 3);
    const truth = new StreamingTruth(queries, K);
    const tenant = await createTenant(app.deps, { slug: `bench-dims-${dimensions}`, name: 'bench/dims', placement: 'DEDICATED' });
    // Loaded before the index is built, as bulk loads should go; the corpus is drawn batch by
    // batch (a 100,000 x 4,096 corpus would not fit in memory) and the exact answer kept as it goes.
    await dropSearchIndex(app.deps, tenant);
    let loadMs = 0;
    for (let start = 0; start < rows; start += BATCH) {
      const batch = mixture.sample(Math.min(BATCH, rows - start), 1000 + start / BATCH);
      truth.add(batch, start);
      const began = performance.now();
      const documents = batch.map((embedding, i) => ({ externalId: `doc-${start + i}`, content: `doc ${start + i}`, embedding }));
      await upsertDocuments(app.deps, createEmbeddingLoaders(app.deps.embedder), tenant, documents);
      loadMs += performance.now() - began;
      if ((start + BATCH) % 10_000 === 0) log(`  ${dimensions}/${storage}: ${start + BATCH} loaded`);
    }
    const built = performance.now();
    await buildSearchIndex(app.deps, tenant);
    const buildSeconds = (performance.now() - built) / 1000;
    await sql`analyze ${sql.table(partitionName(tenant.id))}`.execute(app.deps.database.db);
    const sizes = await relationSizes(app.deps.database.db, partitionName(tenant.id), hnswIndexName(tenant.id));
    // The plan a GraphQL vector search of K hits gets (a binary index's walk is wider: db/vector-storage.ts).
    const plan = planSearch(tenant, { mode: 'VECTOR', first: K, filtered: false, grouped: false, efSearch: undefined, vectors: app.deps.vectors }).vector as VectorPlan;
    const params = (q: number[]) => ({ vector: toVectorParameter(q), limit: K, metric: app.deps.metric, vectors: app.deps.vectors });
    const search = async (q: number[]) => (await runVectorSearchInOneRoundTrip(app.deps.database, tenant, params(q), plan))?.rows ?? [];
    await runConcurrentPass(queries.slice(0, 10), 1, search); // warm the index into memory
    const pass = await runConcurrentPass(queries, 1, search);
    const found = pass.results.map((result) => result.map((row) => row.external_id.slice(4)));
    const latency = summarizeLatencies(pass.latenciesMs);
    return {
      dimensions,
      storage,
      index: app.deps.vectors.kind,
      rows,
      load_rows_per_s: Math.round(rows / (loadMs / 1000)),
      build_s: round(buildSeconds, 1),
      table_mb: round(sizes.table / 2 ** 20, 1),
      index_mb: round(sizes.index / 2 ** 20, 1),
      ef_search: plan.efSearch,
      p50_ms: round(latency.p50, 2),
      p99_ms: round(latency.p99, 2),
      recall_at_10: round(recallAtK(found, truth.nearest().map((ids) => ids.map(String)), K), 4),
    };
  } finally {
    await cleanupStep('app.close', () => app.close());
    if (url) await cleanupStep('drop database', () => dropDatabase(url));
  }
}

/** Heap plus TOAST (where vectors above 2,000 dimensions live), and the HNSW index. */
async function relationSizes(db: Db, table: string, index: string): Promise<{ table: number; index: number }> {
  const { rows: [row] } = await sql<{ table: string; index: string }>`
    select pg_table_size(to_regclass(${table})) as table, pg_relation_size(to_regclass(${index})) as index`.execute(db);
  return { table: Number(row?.table ?? 0), index: Number(row?.index ?? 0) };
}

const results: Figures[] = [];
try {
  for (const { dimensions, storage } of layouts) {
    log(`${dimensions} dimensions, VECTOR_STORAGE=${storage}: ${rows} rows`);
    results.push(await runLayout(dimensions, storage));
    log(JSON.stringify(results.at(-1)));
  }
} catch (error) {
  process.exitCode = 1;
  console.error(error);
}
const columns = Object.keys(results[0] ?? {});
console.log(columns.join('\t'));
for (const row of results) console.log(columns.map((c) => row[c]).join('\t'));
console.log(JSON.stringify({ engine: process.env.DATABASE_URL ? 'external' : 'embedded', rows, queries: queryCount, k: K, results }));
