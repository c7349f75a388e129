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
import { explain } from '../../src/search/search.service.js';
import { hnswIndexName, type Tenant } from '../../src/tenants/tenant.js';
import { deleteTenant, listTenants } from '../../src/tenants/tenant.service.js';
import { benchConfig, countFromEnv } from '../shared/bench-config.js';
import { cleanupStep } from '../shared/cleanup-step.js';
import { type GraphqlClient, createGraphqlClient } from '../shared/graphql-client.js';
import { type LoopbackServer, listenOnLoopback } from '../shared/loopback-server.js';
import { medianPlanningMs } from '../shared/planning-time.js';
import { indexesUsed } from '../shared/query-plan.js';
import { startRssSampler } from '../shared/rss-sampler.js';
import { round, summarizeLatencies } from '../shared/search-metrics.js';
import { corpusVectors, queryVectors, toMatrix } from '../shared/tenant-corpus.js';
import { type LoadedTenant, type TenantsRun, createTenantsRun, loadDedicatedTier, loadSharedTier } from './population.js';
import { runTenantSearchPass } from './tenant-search-pass.js';
import { STREAM, measureTierSearches, recallOf, shortPages } from './tier-searches.js';
import { type TenantsSummary, formatTenantsReport } from './tenants-report.js';

const K = 10;
const BASELINE_SHARED_TENANTS = 10;
const BASELINE_DEDICATED_DOCS = 1000;
const PROMOTE_QUERIES = 100;

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

type Population = Awaited<ReturnType<typeof loadPopulation>>;
type Baseline = Awaited<ReturnType<typeof measureBaselinePlanning>>;

/** Median planning time of a tenant's search, over EXPLAINs of its own query vectors. */
function planningMs(run: TenantsRun, { tenant, corpus }: LoadedTenant) {
  const vectors = queryVectors(corpus, 8, STREAM.planning);
  return medianPlanningMs(
    (index) => explain(run.app.deps, tenant, { vector: vectors[index % vectors.length] as number[], first: K }),
    sizes.planningRuns,
  );
}

/** Phase 1: planning time of a shared and a dedicated search with only a handful of tenants. */
async function measureBaselinePlanning(run: TenantsRun) {
  const shared: LoadedTenant[] = [];
  for (let i = 0; i < BASELINE_SHARED_TENANTS; i += 1) {
    const corpus = run.newCorpus(`base-s${i}`, sizes.sharedDocs);
    const tenant = await run.makeTenant(corpus, 'SHARED');
    await run.loadVectors(tenant, corpusVectors(corpus));
    shared.push({ tenant, corpus });
  }
  const dedicatedCorpus = run.newCorpus('base-d', BASELINE_DEDICATED_DOCS);
  const dedicated: LoadedTenant = { tenant: await run.makeTenant(dedicatedCorpus, 'DEDICATED'), corpus: dedicatedCorpus };
  await run.loadVectors(dedicated.tenant, corpusVectors(dedicatedCorpus));
  await run.app.deps.maintenance.idle();
  const sharedProbe = shared[0] as LoadedTenant;
  const planningShared = await planningMs(run, sharedProbe);
  const planningDedicated = await planningMs(run, dedicated);
  log(
    `baseline planning (${BASELINE_SHARED_TENANTS + 1} tenants): shared ${planningShared.medianMs.toFixed(3)} ms, ` +
      `dedicated ${planningDedicated.medianMs.toFixed(3)} ms`,
  );
  return { sharedProbe, dedicated, planningShared, planningDedicated };
}

/** Phase 2: the population, the shared tier and then the dedicated one; load and build times. */
async function loadPopulation(run: TenantsRun) {
  const started = performance.now();
  const sharedTier = await loadSharedTier(run, sizes.sharedTenants, sizes.sharedDocs);
  const dedicatedTier = await loadDedicatedTier(run, sizes.dedicatedTenants, sizes.dedicatedDocs);
  await run.app.deps.maintenance.idle();
  const seconds = (performance.now() - started) / 1000;
  log(`population done in ${seconds.toFixed(1)} s (${run.mb()})`);
  return {
    shared: sharedTier.shared,
    dedicated: dedicatedTier.dedicated,
    sharedLoadSeconds: sharedTier.loadSeconds,
    dedicatedLoadSeconds: dedicatedTier.loadSeconds,
    buildSeconds: dedicatedTier.buildSeconds,
    seconds,
  };
}

/** Phase 4: promotion of a tenant that outgrew the shared pool, through the admin mutation; then its searches. */
async function measurePromotion(run: TenantsRun, client: GraphqlClient, admin: GraphqlClient) {
  const corpus = run.newCorpus('promote', sizes.promoteDocs);
  const tenant = await run.makeTenant(corpus, 'SHARED');
  const vectors = corpusVectors(corpus);
  log(`promotion: loading ${sizes.promoteDocs} docs into a shared tenant`);
  await run.loadVectors(tenant, vectors);
  await run.app.deps.maintenance.idle();
  log('promotion: promoteTenant');
  const started = performance.now();
  const promoted = await admin.request<{ promoteTenant: { placement: string } }>(
    `mutation ($s: String!) { promoteTenant(slug: $s) { placement } }`,
    { s: corpus.slug },
  );
  const seconds = (performance.now() - started) / 1000;
  const placement = promoted.promoteTenant.placement;
  log(`promotion: ${seconds.toFixed(1)} s -> ${placement}`);
  if (placement !== 'DEDICATED') throw new Error(`promoteTenant returned placement ${placement}`);

  const matrix = toMatrix(vectors, run.dimensions);
  const queries = queryVectors(corpus, PROMOTE_QUERIES, STREAM.measured).map((vector) => ({ slug: corpus.slug, vector }));
  const pass = await runTenantSearchPass(client, {
    queries,
    warmup: queryVectors(corpus, 10, STREAM.warmup).map((vector) => ({ slug: corpus.slug, vector })),
    k: K,
  });
  const promotedTenant = { ...tenant, placement: 'DEDICATED' as const };
  const plan = await explain(run.app.deps, promotedTenant, { vector: queries[0]?.vector as number[], first: K });
  return {
    seconds,
    placement,
    recall: recallOf(pass, queries, () => matrix, K),
    shortPages: shortPages(pass, K),
    planUsesHnsw: indexesUsed(plan).includes(hnswIndexName(tenant.id)),
  };
}

/** Phase 5: planning time again, of the baseline's tenants and of the population's, with every tenant in place. */
async function measurePopulatedPlanning(run: TenantsRun, baseline: Baseline, { shared, dedicated }: Population) {
  await run.app.deps.maintenance.idle();
  const tenants = (await listTenants(run.app.deps, 'ACTIVE')).length;
  const planningShared = await planningMs(run, baseline.sharedProbe);
  const planningDedicated = await planningMs(run, baseline.dedicated);
  const populationShared = await planningMs(run, shared.at(-1) ?? baseline.sharedProbe);
  const bigDedicated = dedicated[0];
  const populationDedicated = bigDedicated ? await planningMs(run, bigDedicated) : planningDedicated;
  log(`planning with ${tenants} tenants: shared ${planningShared.medianMs.toFixed(3)} ms, dedicated ${planningDedicated.medianMs.toFixed(3)} ms`);
  return {
    tenants,
    planningShared,
    planningDedicated,
    populationShared,
    populationDedicated,
    bigDedicated: bigDedicated?.tenant as Tenant | undefined,
  };
}

function summarize(
  run: TenantsRun,
  external: boolean,
  baseline: Baseline,
  population: Population,
  searches: Awaited<ReturnType<typeof measureTierSearches>>,
  promotion: Awaited<ReturnType<typeof measurePromotion>>,
  planning: Awaited<ReturnType<typeof measurePopulatedPlanning>>,
  totalSeconds: number,
  peakRssMb: number,
): TenantsSummary {
  const sharedDocsTotal = sizes.sharedTenants * sizes.sharedDocs;
  const dedicatedDocsTotal = sizes.dedicatedTenants * sizes.dedicatedDocs;
  const loadSeconds = population.sharedLoadSeconds + population.dedicatedLoadSeconds;
  const sharedLatency = summarizeLatencies(searches.sharedPass.latenciesMs);
  const dedicatedLatency = summarizeLatencies(searches.dedicatedPass.latenciesMs);
  const { planningShared, planningDedicated } = planning;
  const { planningShared: baselineShared, planningDedicated: baselineDedicated } = baseline;
  return {
    engine: run.app.engine.kind,
    external_database: external,
    metric: run.app.deps.metric,
    dimensions: run.dimensions,
    k: K,
    shared_tenants: sizes.sharedTenants,
    shared_docs_per_tenant: sizes.sharedDocs,
    dedicated_tenants: sizes.dedicatedTenants,
    dedicated_docs_per_tenant: sizes.dedicatedDocs,
    total_docs: sharedDocsTotal + dedicatedDocsTotal,
    load_docs_per_s: round((sharedDocsTotal + dedicatedDocsTotal) / loadSeconds, 1),
    shared_load_docs_per_s: round(sharedDocsTotal / population.sharedLoadSeconds, 1),
    dedicated_load_docs_per_s: round(dedicatedDocsTotal / population.dedicatedLoadSeconds, 1),
    dedicated_build_s: population.buildSeconds.map((value) => round(value, 2)),
    population_s: round(population.seconds, 1),
    queries_per_tier: sizes.queries,
    shared_p50_ms: round(sharedLatency.p50, 2),
    shared_p99_ms: round(sharedLatency.p99, 2),
    dedicated_p50_ms: round(dedicatedLatency.p50, 2),
    dedicated_p99_ms: round(dedicatedLatency.p99, 2),
    shared_to_dedicated_p50_ratio: round(sharedLatency.p50 / dedicatedLatency.p50, 2),
    recall_at_10_shared: round(searches.recallShared, 4),
    recall_at_10_dedicated: round(searches.recallDedicated, 4),
    short_pages_shared: shortPages(searches.sharedPass, K),
    short_pages_dedicated: shortPages(searches.dedicatedPass, K),
    // As the search service computes it: never below the page size.
    ef_search: Math.max(population.dedicated[0]?.tenant.efSearch ?? baseline.dedicated.tenant.efSearch, K),
    shared_plan_indexes: [...new Set(indexesUsed(planning.populationShared.plan))],
    dedicated_plan_uses_hnsw: planning.bigDedicated
      ? indexesUsed(planning.populationDedicated.plan).includes(hnswIndexName(planning.bigDedicated.id))
      : false,
    promotion_docs: sizes.promoteDocs,
    promotion_s: round(promotion.seconds, 2),
    promoted_placement: promotion.placement,
    promoted_recall_at_10: round(promotion.recall, 4),
    promoted_short_pages: promotion.shortPages,
    promoted_plan_uses_hnsw: promotion.planUsesHnsw,
    planning_runs: sizes.planningRuns,
    planning_ms_baseline_shared: round(baselineShared.medianMs, 3),
    planning_ms_baseline_dedicated: round(baselineDedicated.medianMs, 3),
    planning_ms_shared: round(planningShared.medianMs, 3),
    planning_ms_dedicated: round(planningDedicated.medianMs, 3),
    planning_ratio_shared: round(planningShared.medianMs / baselineShared.medianMs, 2),
    planning_ratio_dedicated: round(planningDedicated.medianMs / baselineDedicated.medianMs, 2),
    planning_min_ms: {
      baseline_shared: round(baselineShared.minMs, 3),
      baseline_dedicated: round(baselineDedicated.minMs, 3),
      shared: round(planningShared.minMs, 3),
      dedicated: round(planningDedicated.minMs, 3),
    },
    planning_ms_population_shared: round(planning.populationShared.medianMs, 3),
    planning_ms_population_dedicated: round(planning.populationDedicated.medianMs, 3),
    tenants_at_final_planning: planning.tenants,
    peak_rss_mb: Math.round(peakRssMb),
    total_s: round(totalSeconds, 1),
  };
}

async function main(): Promise<void> {
  // Automatic promotion off: the benchmark decides every tenant's placement.
  const config = benchConfig({ PROMOTION_THRESHOLD: '0' });
  const rss = startRssSampler();
  const app = await startApp(config, { log });
  const started = performance.now();
  const run = createTenantsRun(app, log, () => `${Math.round(rss.sample())} MB RSS`);
  let server: LoopbackServer | undefined;
  try {
    log(config.databaseUrl ? 'engine: external PostgreSQL from DATABASE_URL' : `engine: embedded PGlite (${config.dataDir})`);
    log(`sizes: ${JSON.stringify(sizes)}`);
    server = await listenOnLoopback(app.yoga, '/graphql');
    const client = createGraphqlClient(server.url);
    const admin = createGraphqlClient(server.url, { baseHeaders: { authorization: `Bearer ${app.adminToken}` } });

    const baseline = await measureBaselinePlanning(run);
    const population = await loadPopulation(run);
    const searches = await measureTierSearches(run, client, population, sizes.queries, K);
    const promotion = await measurePromotion(run, client, admin);
    const planning = await measurePopulatedPlanning(run, baseline, population);

    const external = config.databaseUrl !== undefined;
    const summary = summarize(run, external, baseline, population, searches, promotion, planning, (performance.now() - started) / 1000, rss.peakMb());
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
    // Runs after a failure too; a failing step is reported without hiding the first error.
    // A throwaway in-memory database goes with the process; a persistent one gets its tenants deleted.
    const persistent = config.databaseUrl !== undefined || !config.dataDir.startsWith('memory://');
    if (persistent && run.createdSlugs.length > 0) {
      log(`cleanup: deleting ${run.createdSlugs.length} bench tenants`);
      await cleanupStep('deleteTenant', async () => {
        for (const slug of run.createdSlugs) await deleteTenant(app.deps, slug);
      });
    }
    const open = server;
    if (open) await cleanupStep('HTTP server close', () => open.close());
    await cleanupStep('app.close', () => app.close());
    rss.stop();
  }
}

await main();
