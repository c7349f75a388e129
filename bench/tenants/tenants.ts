/**
 * Tiered tenancy at scale: a thousand small SHARED tenants (exact search in the pooled shard)
 * beside a few big DEDICATED ones (own partition + HNSW index). Reports search latency and
 * recall@10 per tier through the GraphQL HTTP endpoint (the two tiers' queries interleaved, so a
 * busy machine slows both alike), the time to promote a tenant, and the
 * search query's planning time before and after the population exists (it should not grow with
 * the number of tenants). Vectors are loaded through the document service, not HTTP: a quarter
 * of a million rows over GraphQL would measure JSON, not the database. Runs on the embedded
 * engine, or on the server named by DATABASE_URL. Progress goes to stderr; stdout is a table
 * and, as its last line, one JSON object with the figures.
 *
 *   npm run bench:tenants
 *   BENCH_SHARED_TENANTS=50 BENCH_DEDICATED_DOCS=2000 BENCH_PROMOTE_DOCS=2000 npm run bench:tenants
 *
 * Sizes: BENCH_SHARED_TENANTS (1000), BENCH_SHARED_DOCS (200), BENCH_DEDICATED_TENANTS (3),
 * BENCH_DEDICATED_DOCS (20000), BENCH_PROMOTE_DOCS (10000), BENCH_QUERIES per tier (300),
 * BENCH_PLANNING_RUNS (50).
 */
import { performance } from 'node:perf_hooks';
import { startApp } from '../../src/app.js';
import { upsertDocuments } from '../../src/documents/document.service.js';
import { createEmbeddingLoaders } from '../../src/embeddings/embedding-loaders.js';
import { explain } from '../../src/search/search.service.js';
import { hnswIndexName, type Placement, type Tenant } from '../../src/tenants/tenant.js';
import { buildSearchIndex, createTenant, deleteTenant, dropSearchIndex, listTenants } from '../../src/tenants/tenant.service.js';
import { createGraphqlClient } from '../shared/graphql-client.js';
import { benchExternalId } from '../shared/load-documents.js';
import { type LoopbackServer, listenOnLoopback } from '../shared/loopback-server.js';
import { medianPlanningMs } from '../shared/planning-time.js';
import { indexesUsed } from '../shared/query-plan.js';
import { startRssSampler } from '../shared/rss-sampler.js';
import { recallAtK, round, summarizeLatencies } from '../shared/search-metrics.js';
import type { SearchPass } from '../shared/search-pass.js';
import {
  type TenantCorpus,
  type VectorMatrix,
  corpusVectors,
  exactTopK,
  queryVectors,
  tenantCorpus,
  toMatrix,
} from '../shared/tenant-corpus.js';
import { type TenantQuery, runTenantSearchPass } from './tenant-search-pass.js';
import { type TenantsSummary, formatTenantsReport } from './tenants-report.js';
import { cleanupStep } from '../shared/cleanup-step.js';
import { benchConfig, countFromEnv } from '../shared/bench-config.js';

const K = 10;
const BASELINE_SHARED_TENANTS = 10;
const BASELINE_DEDICATED_DOCS = 1000;
const WARMUP_QUERIES = 30;
const PROMOTE_QUERIES = 100;
// Query streams of a tenant's mixture (tenantCorpus allows 0-4): measured, warm-up, EXPLAIN.
const STREAM = { measured: 0, warmup: 1, planning: 2 } as const;

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const sizes = {
  sharedTenants: countFromEnv('BENCH_SHARED_TENANTS', 1000),
  sharedDocs: countFromEnv('BENCH_SHARED_DOCS', 200),
  dedicatedTenants: countFromEnv('BENCH_DEDICATED_TENANTS', 3),
  dedicatedDocs: countFromEnv('BENCH_DEDICATED_DOCS', 20_000),
  promoteDocs: countFromEnv('BENCH_PROMOTE_DOCS', 10_000),
  queries: countFromEnv('BENCH_QUERIES', 300),
  planningRuns: countFromEnv('BENCH_PLANNING_RUNS', 50),
};

// Automatic promotion off: the benchmark decides every tenant's placement.
const config = benchConfig({ PROMOTION_THRESHOLD: '0' });
const rss = startRssSampler();
const app = await startApp(config, { log });
const benchStarted = performance.now();
const runId = Date.now().toString(36);
const dimensions = app.deps.embedder.dimensions;
const batchSize = Math.min(1000, app.deps.maxBatchSize);
const loaders = createEmbeddingLoaders(app.deps.embedder);
const createdSlugs: string[] = [];
let server: LoopbackServer | undefined;
let nextSeed = 1;

const mb = () => `${Math.round(rss.sample())} MB RSS`;

function newCorpus(name: string, docs: number): TenantCorpus {
  return tenantCorpus({ slug: `bt-${runId}-${name}`, seed: nextSeed++, docs }, dimensions);
}

async function makeTenant(corpus: TenantCorpus, placement: Placement): Promise<Tenant> {
  const tenant = await createTenant(app.deps, { slug: corpus.slug, name: `bench/tenants/tenants.ts ${corpus.slug}`, placement });
  createdSlugs.push(tenant.slug);
  return tenant;
}

/** Upserts the vectors in batches through the service; returns the seconds spent in upserts. */
async function loadVectors(tenant: Tenant, vectors: readonly number[][], onBatch?: (loaded: number) => void): Promise<number> {
  let seconds = 0;
  for (let start = 0; start < vectors.length; start += batchSize) {
    const inputs = vectors.slice(start, start + batchSize).map((embedding, offset) => ({
      externalId: benchExternalId(start + offset),
      content: `doc ${start + offset}`,
      embedding,
    }));
    const started = performance.now();
    const written = await upsertDocuments(app.deps, loaders, tenant, inputs);
    seconds += (performance.now() - started) / 1000;
    if (written.length !== inputs.length) throw new Error(`upsert of ${inputs.length} documents returned ${written.length}`);
    onBatch?.(start + inputs.length);
  }
  return seconds;
}

function planningMs(tenant: Tenant, corpus: TenantCorpus) {
  const vectors = queryVectors(corpus, 8, STREAM.planning);
  return medianPlanningMs(
    (run) => explain(app.deps, tenant, { vector: vectors[run % vectors.length] as number[], first: K }),
    sizes.planningRuns,
  );
}

/** Recall of a pass against brute force over each query's tenant's vectors. */
function recallOf(pass: SearchPass, queries: readonly TenantQuery[], matrixOf: (slug: string) => VectorMatrix): number {
  const exact = queries.map((query) => exactTopK(matrixOf(query.slug), query.vector, K));
  return recallAtK(pass.results, exact, K);
}

const shortPages = (pass: SearchPass) => pass.results.filter((ids) => ids.length < K).length;

try {
  log(config.databaseUrl ? 'engine: external PostgreSQL from DATABASE_URL' : `engine: embedded PGlite (${config.dataDir})`);
  log(`sizes: ${JSON.stringify(sizes)}`);
  server = await listenOnLoopback(app.yoga, '/graphql');
  const client = createGraphqlClient(server.url);
  const admin = createGraphqlClient(server.url, { baseHeaders: { authorization: `Bearer ${app.adminToken}` } });

  // 1. Baseline planning time, with only a handful of tenants.
  const baselineShared: { tenant: Tenant; corpus: TenantCorpus }[] = [];
  for (let i = 0; i < BASELINE_SHARED_TENANTS; i += 1) {
    const corpus = newCorpus(`base-s${i}`, sizes.sharedDocs);
    const tenant = await makeTenant(corpus, 'SHARED');
    await loadVectors(tenant, corpusVectors(corpus));
    baselineShared.push({ tenant, corpus });
  }
  const baseDedicatedCorpus = newCorpus('base-d', BASELINE_DEDICATED_DOCS);
  const baseDedicated = await makeTenant(baseDedicatedCorpus, 'DEDICATED');
  await loadVectors(baseDedicated, corpusVectors(baseDedicatedCorpus));
  await app.deps.upkeep.idle();
  const baseSharedProbe = baselineShared[0] as { tenant: Tenant; corpus: TenantCorpus };
  const planningBaselineShared = await planningMs(baseSharedProbe.tenant, baseSharedProbe.corpus);
  const planningBaselineDedicated = await planningMs(baseDedicated, baseDedicatedCorpus);
  log(
    `baseline planning (${BASELINE_SHARED_TENANTS + 1} tenants): shared ${planningBaselineShared.medianMs.toFixed(3)} ms, ` +
      `dedicated ${planningBaselineDedicated.medianMs.toFixed(3)} ms`,
  );

  // 2. The population.
  const populationStarted = performance.now();
  const shared: { tenant: Tenant; corpus: TenantCorpus }[] = [];
  let sharedLoadSeconds = 0;
  const sharedStarted = performance.now();
  const progressEvery = Math.max(1, Math.round(sizes.sharedTenants / 20));
  for (let i = 0; i < sizes.sharedTenants; i += 1) {
    const corpus = newCorpus(`s${i}`, sizes.sharedDocs);
    const tenant = await makeTenant(corpus, 'SHARED');
    sharedLoadSeconds += await loadVectors(tenant, corpusVectors(corpus));
    shared.push({ tenant, corpus });
    if ((i + 1) % progressEvery === 0 || i + 1 === sizes.sharedTenants) {
      const elapsed = (performance.now() - sharedStarted) / 1000;
      const docs = (i + 1) * sizes.sharedDocs;
      log(
        `shared: ${i + 1}/${sizes.sharedTenants} tenants, ${docs} docs in ${elapsed.toFixed(1)} s ` +
          `(${Math.round(docs / elapsed)} docs/s, ${((i + 1) / elapsed).toFixed(1)} tenants/s; ${mb()})`,
      );
    }
  }

  const dedicated: { tenant: Tenant; corpus: TenantCorpus; matrix: VectorMatrix }[] = [];
  const buildSeconds: number[] = [];
  let dedicatedLoadSeconds = 0;
  for (let i = 0; i < sizes.dedicatedTenants; i += 1) {
    const corpus = newCorpus(`d${i}`, sizes.dedicatedDocs);
    const tenant = await makeTenant(corpus, 'DEDICATED');
    // A bulk load builds the graph once over all rows: much faster than growing it row by row.
    await dropSearchIndex(app.deps, tenant);
    const vectors = corpusVectors(corpus);
    const started = performance.now();
    const progress = Math.max(batchSize, Math.round(sizes.dedicatedDocs / 4 / batchSize) * batchSize);
    dedicatedLoadSeconds += await loadVectors(tenant, vectors, (loaded) => {
      if (loaded % progress === 0 || loaded === vectors.length) {
        const elapsed = (performance.now() - started) / 1000;
        log(`dedicated ${i + 1}/${sizes.dedicatedTenants}: ${loaded}/${vectors.length} docs (${Math.round(loaded / elapsed)} docs/s; ${mb()})`);
      }
    });
    const buildStarted = performance.now();
    await buildSearchIndex(app.deps, tenant);
    buildSeconds.push((performance.now() - buildStarted) / 1000);
    log(`dedicated ${i + 1}/${sizes.dedicatedTenants}: HNSW index built in ${(buildSeconds.at(-1) as number).toFixed(1)} s (${mb()})`);
    dedicated.push({ tenant, corpus, matrix: toMatrix(vectors, dimensions) });
  }
  await app.deps.upkeep.idle();
  const populationSeconds = (performance.now() - populationStarted) / 1000;
  const sharedDocsTotal = sizes.sharedTenants * sizes.sharedDocs;
  const dedicatedDocsTotal = sizes.dedicatedTenants * sizes.dedicatedDocs;
  log(`population done in ${populationSeconds.toFixed(1)} s (${mb()})`);

  // 3. Latency and recall per tier, through GraphQL over HTTP.
  // Spread over the shared tenants by a fixed stride, so every run queries the same ones.
  const pickShared = (i: number, salt: number) => (i * 7919 + salt) % shared.length;
  const sharedQueries = (count: number, stream: number, salt: number): TenantQuery[] => {
    const wanted = new Map<number, number[]>();
    for (let i = 0; i < count; i += 1) wanted.set(pickShared(i, salt), [...(wanted.get(pickShared(i, salt)) ?? []), i]);
    const queries: TenantQuery[] = new Array(count);
    for (const [index, positions] of wanted) {
      const { corpus } = shared[index] as { corpus: TenantCorpus };
      const vectors = queryVectors(corpus, positions.length, stream);
      positions.forEach((position, j) => (queries[position] = { slug: corpus.slug, vector: vectors[j] as number[] }));
    }
    return queries;
  };
  const dedicatedQueries = (count: number, stream: number): TenantQuery[] => {
    const perTenant = dedicated.map(({ corpus }) => queryVectors(corpus, Math.ceil(count / dedicated.length), stream));
    return Array.from({ length: count }, (_, i) => ({
      slug: (dedicated[i % dedicated.length] as { corpus: TenantCorpus }).corpus.slug,
      vector: (perTenant[i % dedicated.length] as number[][])[Math.floor(i / dedicated.length)] as number[],
    }));
  };

  const sharedSet = sharedQueries(sizes.queries, STREAM.measured, 13);
  const dedicatedSet = dedicatedQueries(sizes.queries, STREAM.measured);
  const sharedQueried = new Set(sharedSet.map((query) => query.slug)).size;
  log(
    `searches: ${sizes.queries} over ${sharedQueried} shared tenants interleaved with ${sizes.queries} over ` +
      `${dedicated.length} dedicated tenants, after ${WARMUP_QUERIES} warm-up of each`,
  );
  // Alternating the tiers query by query exposes both to the same machine load, so their
  // ratio holds even when other processes compete for the CPU.
  const interleave = <T>(a: readonly T[], b: readonly T[]) => a.flatMap((item, i) => [item, b[i] as T]);
  const bothPass = await runTenantSearchPass(client, {
    queries: interleave(sharedSet, dedicatedSet),
    warmup: interleave(sharedQueries(WARMUP_QUERIES, STREAM.warmup, 101), dedicatedQueries(WARMUP_QUERIES, STREAM.warmup)),
    k: K,
  });
  const tier = (parity: number): SearchPass => ({
    latenciesMs: bothPass.latenciesMs.filter((_, i) => i % 2 === parity),
    results: bothPass.results.filter((_, i) => i % 2 === parity),
  });
  const sharedPass = tier(0);
  const dedicatedPass = tier(1);

  log('ground truth: brute force over the loaded vectors');
  const sharedBySlug = new Map(shared.map((entry) => [entry.corpus.slug, entry.corpus]));
  const sharedMatrices = new Map<string, VectorMatrix>();
  const sharedMatrix = (slug: string) => {
    let matrix = sharedMatrices.get(slug);
    if (!matrix) {
      matrix = toMatrix(corpusVectors(sharedBySlug.get(slug) as TenantCorpus), dimensions);
      sharedMatrices.set(slug, matrix);
    }
    return matrix;
  };
  const dedicatedMatrices = new Map(dedicated.map((entry) => [entry.corpus.slug, entry.matrix]));
  const recallShared = recallOf(sharedPass, sharedSet, sharedMatrix);
  const recallDedicated = recallOf(dedicatedPass, dedicatedSet, (slug) => dedicatedMatrices.get(slug) as VectorMatrix);

  // 4. Promotion of a tenant that outgrew the shared pool, through the admin mutation.
  const promoteCorpus = newCorpus('promote', sizes.promoteDocs);
  const promoteTenant = await makeTenant(promoteCorpus, 'SHARED');
  const promoteVectors = corpusVectors(promoteCorpus);
  log(`promotion: loading ${sizes.promoteDocs} docs into a shared tenant`);
  await loadVectors(promoteTenant, promoteVectors);
  await app.deps.upkeep.idle();
  log('promotion: promoteTenant');
  const promoteStarted = performance.now();
  const promoted = await admin.request<{ promoteTenant: { placement: string } }>(
    `mutation ($s: String!) { promoteTenant(slug: $s) { placement } }`,
    { s: promoteCorpus.slug },
  );
  const promotionSeconds = (performance.now() - promoteStarted) / 1000;
  log(`promotion: ${promotionSeconds.toFixed(1)} s -> ${promoted.promoteTenant.placement}`);
  if (promoted.promoteTenant.placement !== 'DEDICATED') {
    throw new Error(`promoteTenant returned placement ${promoted.promoteTenant.placement}`);
  }
  const promoteMatrix = toMatrix(promoteVectors, dimensions);
  const promoteSet = queryVectors(promoteCorpus, PROMOTE_QUERIES, STREAM.measured).map((vector) => ({ slug: promoteCorpus.slug, vector }));
  const promotePass = await runTenantSearchPass(client, {
    queries: promoteSet,
    warmup: queryVectors(promoteCorpus, 10, STREAM.warmup).map((vector) => ({ slug: promoteCorpus.slug, vector })),
    k: K,
  });
  const promotedRecall = recallOf(promotePass, promoteSet, () => promoteMatrix);
  const promotedTenant = { ...promoteTenant, placement: 'DEDICATED' as const };
  const promotedPlan = await explain(app.deps, promotedTenant, { vector: promoteSet[0]?.vector as number[], first: K });

  // 5. Planning time again, with the population in place.
  await app.deps.upkeep.idle();
  const tenantsNow = (await listTenants(app.deps, 'ACTIVE')).length;
  const planningShared = await planningMs(baseSharedProbe.tenant, baseSharedProbe.corpus);
  const planningDedicated = await planningMs(baseDedicated, baseDedicatedCorpus);
  const lastShared = shared.at(-1) ?? baseSharedProbe;
  const planningPopulationShared = await planningMs(lastShared.tenant, lastShared.corpus);
  const bigDedicated = dedicated[0];
  const planningPopulationDedicated = bigDedicated ? await planningMs(bigDedicated.tenant, bigDedicated.corpus) : planningDedicated;
  log(`planning with ${tenantsNow} tenants: shared ${planningShared.medianMs.toFixed(3)} ms, dedicated ${planningDedicated.medianMs.toFixed(3)} ms`);

  const sharedLatency = summarizeLatencies(sharedPass.latenciesMs);
  const dedicatedLatency = summarizeLatencies(dedicatedPass.latenciesMs);
  const loadSeconds = sharedLoadSeconds + dedicatedLoadSeconds;
  const summary: TenantsSummary = {
    engine: app.engine.kind,
    external_database: config.databaseUrl !== undefined,
    metric: app.deps.metric,
    dimensions,
    k: K,
    shared_tenants: sizes.sharedTenants,
    shared_docs_per_tenant: sizes.sharedDocs,
    dedicated_tenants: sizes.dedicatedTenants,
    dedicated_docs_per_tenant: sizes.dedicatedDocs,
    total_docs: sharedDocsTotal + dedicatedDocsTotal,
    load_docs_per_s: round((sharedDocsTotal + dedicatedDocsTotal) / loadSeconds, 1),
    shared_load_docs_per_s: round(sharedDocsTotal / sharedLoadSeconds, 1),
    dedicated_load_docs_per_s: round(dedicatedDocsTotal / dedicatedLoadSeconds, 1),
    dedicated_build_s: buildSeconds.map((value) => round(value, 2)),
    population_s: round(populationSeconds, 1),
    queries_per_tier: sizes.queries,
    shared_p50_ms: round(sharedLatency.p50, 2),
    shared_p99_ms: round(sharedLatency.p99, 2),
    dedicated_p50_ms: round(dedicatedLatency.p50, 2),
    dedicated_p99_ms: round(dedicatedLatency.p99, 2),
    shared_to_dedicated_p50_ratio: round(sharedLatency.p50 / dedicatedLatency.p50, 2),
    recall_at_10_shared: round(recallShared, 4),
    recall_at_10_dedicated: round(recallDedicated, 4),
    short_pages_shared: shortPages(sharedPass),
    short_pages_dedicated: shortPages(dedicatedPass),
    // As the search service computes it: never below the page size.
    ef_search: Math.max(dedicated[0]?.tenant.efSearch ?? baseDedicated.efSearch, K),
    shared_plan_indexes: [...new Set(indexesUsed(planningPopulationShared.plan))],
    dedicated_plan_uses_hnsw: bigDedicated
      ? indexesUsed(planningPopulationDedicated.plan).includes(hnswIndexName(bigDedicated.tenant.id))
      : false,
    promotion_docs: sizes.promoteDocs,
    promotion_s: round(promotionSeconds, 2),
    promoted_placement: promoted.promoteTenant.placement,
    promoted_recall_at_10: round(promotedRecall, 4),
    promoted_short_pages: shortPages(promotePass),
    promoted_plan_uses_hnsw: indexesUsed(promotedPlan).includes(hnswIndexName(promoteTenant.id)),
    planning_runs: sizes.planningRuns,
    planning_ms_baseline_shared: round(planningBaselineShared.medianMs, 3),
    planning_ms_baseline_dedicated: round(planningBaselineDedicated.medianMs, 3),
    planning_ms_shared: round(planningShared.medianMs, 3),
    planning_ms_dedicated: round(planningDedicated.medianMs, 3),
    planning_ratio_shared: round(planningShared.medianMs / planningBaselineShared.medianMs, 2),
    planning_ratio_dedicated: round(planningDedicated.medianMs / planningBaselineDedicated.medianMs, 2),
    planning_min_ms: {
      baseline_shared: round(planningBaselineShared.minMs, 3),
      baseline_dedicated: round(planningBaselineDedicated.minMs, 3),
      shared: round(planningShared.minMs, 3),
      dedicated: round(planningDedicated.minMs, 3),
    },
    planning_ms_population_shared: round(planningPopulationShared.medianMs, 3),
    planning_ms_population_dedicated: round(planningPopulationDedicated.medianMs, 3),
    tenants_at_final_planning: tenantsNow,
    peak_rss_mb: Math.round(rss.peakMb()),
    total_s: round((performance.now() - benchStarted) / 1000, 1),
  };
  if (summary.short_pages_shared + summary.short_pages_dedicated + summary.promoted_short_pages > 0) {
    log('WARNING: some searches returned fewer than 10 hits');
  }
  if (!summary.dedicated_plan_uses_hnsw) log('WARNING: the dedicated search planned no HNSW scan');
  if (!summary.promoted_plan_uses_hnsw) log('WARNING: the promoted tenant\'s search planned no HNSW scan');
  console.log(formatTenantsReport(summary));
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  await cleanUp();
}

// Runs after a failure too; a failing step is reported without hiding the first error.
async function cleanUp(): Promise<void> {
  // A throwaway in-memory database goes with the process; a persistent one gets its tenants deleted.
  const persistent = config.databaseUrl !== undefined || !config.dataDir.startsWith('memory://');
  if (persistent && createdSlugs.length > 0) {
    log(`cleanup: deleting ${createdSlugs.length} bench tenants`);
    await cleanupStep('deleteTenant', async () => {
      for (const slug of createdSlugs) await deleteTenant(app.deps, slug);
    });
  }
  if (server) await cleanupStep('HTTP server close', () => (server as LoopbackServer).close());
  await cleanupStep('app.close', () => app.close());
  rss.stop();
}
