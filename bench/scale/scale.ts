/**
 * Narwhal at scale: a long-tail population of 512-dimension vectors (default 1,000,000) on the
 * engine DATABASE_URL names, native PostgreSQL or a Citus coordinator. Thousands of small SHARED
 * tenants, tens of mid-size SHARED ones, and a few of 100,000+ loaded SHARED, then promoted to
 * DEDICATED through the placement service (which builds their HNSW index once over all rows).
 * Reports load rows/s, promotion and index-build seconds, search p50/p99 per tier at 1 and 10
 * clients through GraphQL over HTTP, recall@10 per tier against the exact statement, short pages
 * (must be 0), the search's planning time per tier, table and index bytes, this process's peak
 * RSS (it is the Narwhal server; the load generator is a thread in it) and, on Citus, rows per
 * worker. Progress to stderr; the last line on stdout is one JSON object.
 *
 *   DATABASE_URL=postgres://... npm run bench:scale
 *   SCALE_VECTORS=50000 DATABASE_URL=postgres://... npm run bench:scale      # a quick run
 *
 * Sizes: SCALE_VECTORS (1,000,000: tenants scale with it, see population.ts), SCALE_QUERIES per
 * tier and pass (300), SCALE_RECALL_QUERIES per tier (120), SCALE_LOAD_CONCURRENCY (2),
 * SCALE_PLANNING_RUNS (50). SCALE_KEEP=1 leaves the population in the database.
 * SCALE_DEDICATED=create makes the big tenants DEDICATED from the start and builds their index
 * after loading, instead of promoting them: for an engine where promotion fails (Citus did before
 * main's e19218e).
 * SCALE_REUSE=<run id> measures the searches again over a population a SCALE_KEEP=1 run left
 * (same SCALE_VECTORS), without loading: load and build figures are then absent.
 * SCALE_PREWARM=0 skips loading the dedicated tenants' indexes with pg_prewarm before searching.
 */
import { performance } from 'node:perf_hooks';
import { startApp } from '../../src/app.js';
import { explain } from '../../src/search/search.service.js';
import { prewarmIndex } from '../../src/tenants/maintenance.service.js';
import { buildSearchIndex, deleteTenant } from '../../src/tenants/tenant.service.js';
import { requireProductionLibraries } from '../shared/production-libraries.js';
import { benchConfig, countFromEnv } from '../shared/bench-config.js';
import { cleanupStep } from '../shared/cleanup-step.js';
import { startHttpLoadClient } from '../shared/http-load-client.js';
import { type LoopbackServer, listenOnLoopback } from '../shared/loopback-server.js';
import { medianPlanningMs } from '../shared/planning-time.js';
import { startRssSampler } from '../shared/rss-sampler.js';
import { recallAtK, round, summarizeLatencies } from '../shared/search-metrics.js';
import { queryVectors } from '../shared/tenant-corpus.js';
import { vectorOnlyEmbedder } from '../shared/vector-only-embedder.js';
import { type ScaleTenant, findPopulation, loadPopulation } from './load-population.js';
import { TIERS, type Tier, planPopulation } from './population.js';
import { type Promotion, promoteWithBuildTime } from './promote.js';
import { documentsStorage, rowsPerWorker } from './storage.js';
import { exactResults, runTierPass, sampleQueries, shortPages } from './tier-search.js';


requireProductionLibraries('bench:scale');
const DIMENSIONS = 512;
const K = 10;
const CLIENT_COUNTS = [1, 10] as const;
const WARMUP_QUERIES = 30;
// Query streams of a tenant's mixture (tenantCorpus allows 0-4): measured, warm-up, EXPLAIN.
const STREAM = { measured: 0, warmup: 1, planning: 2 } as const;

const log = (message: string) => process.stderr.write(`[bench:scale] ${message}\n`);
const sizes = {
  vectors: countFromEnv('SCALE_VECTORS', 1_000_000),
  queries: countFromEnv('SCALE_QUERIES', 300),
  recallQueries: countFromEnv('SCALE_RECALL_QUERIES', 120),
  loadConcurrency: countFromEnv('SCALE_LOAD_CONCURRENCY', 2),
  planningRuns: countFromEnv('SCALE_PLANNING_RUNS', 50),
};
const keep = process.env.SCALE_KEEP === '1';
const dedicatedAtCreation = process.env.SCALE_DEDICATED === 'create';
if (!['promote', 'create', undefined, ''].includes(process.env.SCALE_DEDICATED)) {
  throw new Error(`SCALE_DEDICATED must be promote or create, got "${process.env.SCALE_DEDICATED}"`);
}

// Automatic promotion off: the benchmark promotes the big tenants itself, after loading them.
const config = benchConfig({ PROMOTION_THRESHOLD: '0' });
const rss = startRssSampler();
const app = await startApp(config, { log, embedder: vectorOnlyEmbedder(DIMENSIONS) });
const benchStarted = performance.now();
const reuse = process.env.SCALE_REUSE || undefined;
const runId = reuse ?? Date.now().toString(36);
const createdSlugs: string[] = [];
let server: LoopbackServer | undefined;

const mb = () => `${Math.round(rss.sample())} MB RSS`;

try {
  log(`engine: ${app.engine.kind}${app.deps.database.distributed ? ' (Citus coordinator)' : ''}; ${JSON.stringify(sizes)}`);
  server = await listenOnLoopback(app.yoga, '/graphql');
  const plan = planPopulation(sizes.vectors);
  for (const tier of TIERS) {
    const docs = plan.filter((tenant) => tenant.tier === tier).map((tenant) => tenant.docs);
    log(`plan: ${tier}: ${docs.length} tenants, ${docs.reduce((a, b) => a + b, 0)} vectors (${Math.min(...docs)}-${Math.max(...docs)} each)`);
  }

  // 1. Load every tenant SHARED, as tenants start (or find the population a kept run left).
  const planned = plan.reduce((sum, tenant) => sum + tenant.docs, 0);
  const loaded = reuse
    ? { tenants: await findPopulation(app.deps, plan, reuse), createSeconds: Number.NaN, seconds: Number.NaN, rows: planned }
    : await loadPopulation(app.deps, plan, {
        runId,
        concurrency: sizes.loadConcurrency,
        dedicatedAtCreation,
        log: (message) => log(`${message} (${mb()})`),
        created: (slug) => createdSlugs.push(slug),
      });
  if (reuse) log(`reuse: ${loaded.tenants.length} tenants of run ${reuse}`);
  else log(`load: ${loaded.rows} rows in ${loaded.seconds.toFixed(1)} s (${Math.round(loaded.rows / loaded.seconds)} rows/s)`);

  // 2. Promote the big ones: rows copied to their own partition, HNSW built once over them.
  const promotions: Promotion[] = [];
  for (const member of reuse ? [] : loaded.tenants.filter((entry) => entry.tier === 'dedicated')) {
    if (dedicatedAtCreation) {
      log(`index: ${member.tenant.slug} (${member.corpus.docs} rows) ...`);
      const started = performance.now();
      await buildSearchIndex(app.deps, member.tenant);
      const seconds = (performance.now() - started) / 1000;
      promotions.push({ tenant: member.tenant, seconds: Number.NaN, indexBuildSeconds: seconds });
      log(`index: built in ${seconds.toFixed(1)} s (${mb()})`);
      continue;
    }
    log(`promote: ${member.tenant.slug} (${member.corpus.docs} rows) ...`);
    const promotion = await promoteWithBuildTime(app.deps, member.tenant);
    if (promotion.tenant.placement !== 'DEDICATED') throw new Error(`promotion left ${member.tenant.slug} ${promotion.tenant.placement}`);
    member.tenant = promotion.tenant;
    promotions.push(promotion);
    log(`promote: ${promotion.seconds.toFixed(1)} s, of which index build ${promotion.indexBuildSeconds?.toFixed(1) ?? 'unseen'} s (${mb()})`);
  }
  await app.deps.maintenance.idle();
  const populationSeconds = (performance.now() - benchStarted) / 1000;

  // 3. Storage, and on Citus where the rows went.
  const storage = await documentsStorage(app.deps.database.db, app.deps.database.distributed);
  const workers = app.deps.database.distributed ? await rowsPerWorker(app.deps.database.db) : undefined;
  log(`storage: ${JSON.stringify(storage)}${workers ? `; workers ${JSON.stringify(workers)}` : ''}`);

  // As an operator would after a restart or a promotion (the prewarmTenant mutation): a million
  // rows outgrow shared_buffers, and a search that reads its graph from disk measures the disk.
  const prewarmed: Record<string, number | null> = {};
  if (process.env.SCALE_PREWARM !== '0') {
    for (const member of loaded.tenants.filter((entry) => entry.tier === 'dedicated')) {
      // Best effort: where it fails (untried on Citus, whose coordinator holds no index pages) the
      // searches still run, on a cold cache, and the failure is shown.
      try {
        const result = await prewarmIndex(app.deps, member.tenant);
        prewarmed[member.tenant.slug] = result.blocksLoaded;
        log(`prewarm: ${result.message}`);
      } catch (error) {
        prewarmed[member.tenant.slug] = null;
        log(`prewarm: failed for ${member.tenant.slug}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  // 4. Searches per tier through GraphQL over HTTP, at 1 and 10 clients; the server's RSS from here on.
  const byTier = (tier: Tier) => loaded.tenants.filter((entry) => entry.tier === tier);
  const searchRss = startRssSampler();
  const load = startHttpLoadClient(server.url, {}, Math.max(...CLIENT_COUNTS));
  const tiers: Record<string, unknown>[] = [];
  try {
    for (const tier of TIERS) {
      const members = byTier(tier);
      const queries = sampleQueries(members, sizes.queries, STREAM.measured);
      await runTierPass(load, sampleQueries(members, WARMUP_QUERIES, STREAM.warmup), 1, K);
      const passes = [];
      for (const clients of CLIENT_COUNTS) {
        const pass = await runTierPass(load, queries, clients, K);
        const latency = summarizeLatencies(pass.latenciesMs);
        passes.push({ clients, pass, latency, qps: queries.length / pass.seconds });
        log(`${tier}, ${clients} client(s): p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms, ${(queries.length / pass.seconds).toFixed(0)} q/s`);
      }
      const recallCount = Math.min(sizes.recallQueries, queries.length);
      log(`${tier}: exact search for ${recallCount} queries ...`);
      const truth = await exactResults(app.deps, queries.slice(0, recallCount), K);
      const found = (passes[0]?.pass.results ?? []).slice(0, recallCount);
      const missed = found.findIndex((ids, i) => ids.some((id) => !(truth[i] as string[]).includes(id)));
      if (missed >= 0) {
        log(`${tier}: a query whose hits differ from the exact answer (${queries[missed]?.member.tenant.slug}):`);
        log(`  found ${JSON.stringify(found[missed])}`);
        log(`  exact ${JSON.stringify(truth[missed])}`);
      }
      const probe = members.reduce((a, b) => (b.corpus.docs > a.corpus.docs ? b : a));
      const planning = await medianPlanningMs(
        (run) => explain(app.deps, probe.tenant, { vector: probeVector(probe, run), first: K }),
        sizes.planningRuns,
        20,
      );
      const row: Record<string, unknown> = {
        tier,
        tenants: members.length,
        vectors: members.reduce((sum, entry) => sum + entry.corpus.docs, 0),
        tenants_queried: new Set(queries.map((query) => query.member.tenant.slug)).size,
        queries: queries.length,
        recall_queries: recallCount,
        recall_at_10: round(recallAtK(found, truth, K), 4),
        short_pages: passes.reduce((sum, { pass }) => sum + shortPages(queries, pass, K), 0),
        // Searches the service answered by an exact scan: every SHARED one; a DEDICATED one only
        // when its graph walk came back short (the fallback that keeps pages full).
        exact_answers: passes.reduce((sum, { pass }) => sum + pass.strategies.filter((s) => s === 'EXACT').length, 0),
        planning_ms: round(planning.medianMs, 3),
        planning_probe_vectors: probe.corpus.docs,
      };
      for (const { clients, latency, qps } of passes) {
        row[`p50_ms_${clients}c`] = round(latency.p50, 2);
        row[`p99_ms_${clients}c`] = round(latency.p99, 2);
        row[`qps_${clients}c`] = round(qps, 1);
      }
      tiers.push(row);
      log(JSON.stringify(row));
    }
  } finally {
    await load.close();
  }

  const summary = {
    engine: app.deps.database.distributed ? 'citus' : app.engine.kind,
    dimensions: DIMENSIONS,
    k: K,
    metric: app.deps.metric,
    vectors: loaded.rows,
    tenants: Object.fromEntries(TIERS.map((tier) => [tier, byTier(tier).length])),
    reused_run: reuse,
    load_rows_per_s: round(loaded.rows / loaded.seconds, 0),
    load_s: round(loaded.seconds, 1),
    create_tenants_s: round(loaded.createSeconds, 1),
    load_concurrency: sizes.loadConcurrency,
    dedicated_path: dedicatedAtCreation ? 'created DEDICATED, index built after loading' : 'loaded SHARED, promoted',
    promotions: promotions.map((promotion, i) => ({
      vectors: (byTier('dedicated')[i] as ScaleTenant).corpus.docs,
      promote_s: Number.isNaN(promotion.seconds) ? null : round(promotion.seconds, 1),
      index_build_s: promotion.indexBuildSeconds === null ? null : round(promotion.indexBuildSeconds, 1),
    })),
    hnsw: byTier('dedicated')[0]?.tenant.hnsw,
    ef_search: Math.max(byTier('dedicated')[0]?.tenant.efSearch ?? K, K),
    population_s: round(populationSeconds, 1),
    tiers,
    short_pages: tiers.reduce((sum, row) => sum + (row.short_pages as number), 0),
    min_recall_at_10: Math.min(...tiers.map((row) => row.recall_at_10 as number)),
    ...storage,
    prewarmed_index_blocks: Object.values(prewarmed),
    rows_per_worker: workers,
    peak_rss_mb: Math.round(rss.peakMb()),
    peak_rss_search_mb: Math.round(searchRss.peakMb()),
    total_s: round((performance.now() - benchStarted) / 1000, 1),
  };
  searchRss.stop();
  if (summary.short_pages > 0) log(`WARNING: ${summary.short_pages} searches returned fewer than ${K} hits`);
  if (summary.min_recall_at_10 < 0.95) log(`WARNING: recall@10 below 0.95 in a tier (${summary.min_recall_at_10})`);
  console.log(JSON.stringify(summary));
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  await cleanUp();
}

function probeVector(probe: ScaleTenant, run: number): number[] {
  return queryVectors(probe.corpus, 8, STREAM.planning)[run % 8] as number[];
}

// Runs after a failure too; a failing step is reported without hiding the first error.
async function cleanUp(): Promise<void> {
  const persistent = config.databaseUrl !== undefined || !config.dataDir.startsWith('memory://');
  if (persistent && !keep && createdSlugs.length > 0) {
    log(`cleanup: deleting ${createdSlugs.length} bench tenants (SCALE_KEEP=1 keeps them)`);
    await cleanupStep('deleteTenant', async () => {
      for (const slug of createdSlugs) await deleteTenant(app.deps, slug);
    });
  }
  if (server) await cleanupStep('HTTP server close', () => (server as LoopbackServer).close());
  await cleanupStep('app.close', () => app.close());
  rss.stop();
}
