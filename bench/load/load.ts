/**
 * The real server under a mixed load: `node --import tsx src/main.ts` as a child process on the
 * embedded engine (fresh temp DATA_DIR), a few tenants preloaded with 512-d vectors, then closed-loop
 * clients over HTTP keep-alive sending 70% vector searches, 8% text searches and 2% text upserts
 * (both through the offline model), 15% upserts of 10 documents with vectors, 5% fetches by id.
 * Reports requests, errors by code, throughput, p50/p99 per operation and overall, and the server's
 * peak RSS and CPU. Progress to stderr; figures to stdout, one JSON object as the last line.
 *
 *   npm run bench:load                                  # 32 clients, 60 s, 4 tenants x 2,000 docs
 *   BENCH_SECONDS=20 BENCH_CLIENTS=8 npm run bench:load
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, intFromEnv, runClientLoops } from '../shared/client-loops.js';
import { LOAD_MIX, type LoadTenant, MODEL_OPERATIONS, loadTenant, preloadDocuments, sendMixed } from './load-mix.js';
import { createTenant, preload } from '../shared/narwhal-operations.js';
import { createGraphqlClient } from '../shared/graphql-client.js';
import { createOutcomeTally, describeSummary, summarizeOutcomes } from '../shared/outcome-tally.js';
import { createRandomText } from '../shared/random-text.js';
import { round } from '../shared/search-metrics.js';
import { type ServerProcess, startServerProcess } from '../shared/server-process.js';
import { createMixture } from '../shared/synthetic-embeddings.js';

const DIMENSIONS = 512;
const ADMIN_TOKEN = 'bench-load-admin-token-0123456789';
const seconds = intFromEnv('BENCH_SECONDS', 60);
const clients = intFromEnv('BENCH_CLIENTS', 32);
const tenantCount = intFromEnv('BENCH_TENANTS', 4);
const docsPerTenant = intFromEnv('BENCH_DOCS', 2000);
const warmupSeconds = intFromEnv('BENCH_WARMUP_SECONDS', 5);
const log = (message: string) => process.stderr.write(`[bench:load] ${message}\n`);
const fixed = (values: number[]) => values.map((v) => v.toFixed(2)).join(' ');

const loadBefore = loadavg();
const dataDir = await mkdtemp(join(tmpdir(), 'narwhal-bench-load-'));
// Settings a reader may pass through to the server (an external database, fewer model workers).
const passThrough = Object.fromEntries(
  ['DATABASE_URL', 'DATABASE_POOL_SIZE', 'EMBEDDING_WORKERS'].flatMap((name) => (process.env[name] ? [[name, process.env[name] as string]] : [])),
);
let server: ServerProcess | undefined;

try {
  log(`machine load average before: ${fixed(loadBefore)}; starting the server (offline model, embedded engine)`);
  server = await startServerProcess({
    DATA_DIR: dataDir,
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_SECOND: '0',
    ADMIN_TOKEN,
    ...passThrough,
  });
  log(`server pid ${server.pid} ready in ${server.startSeconds.toFixed(1)} s at ${server.url}`);
  const client = createGraphqlClient(server.url, { maxSockets: clients, timeoutMs: 120_000 });

  const preloadStarted = performance.now();
  const tenants: LoadTenant[] = [];
  for (let t = 0; t < tenantCount; t++) {
    const slug = `load-${t}-${Date.now()}`;
    await createTenant(client, ADMIN_TOKEN, slug);
    const mixture = createMixture({ dimensions: DIMENSIONS, clusters: 20, spread: 0.8, seed: 100 + t });
    const ids = await preload(client, slug, preloadDocuments(mixture, docsPerTenant, 1));
    tenants.push(loadTenant(slug, docsPerTenant, [...ids.values()], mixture, 10));
    log(`tenant ${slug}: ${docsPerTenant} documents`);
  }
  const preloadSeconds = (performance.now() - preloadStarted) / 1000;

  const run = async (runSeconds: number, record: boolean) => {
    const tally = createOutcomeTally();
    const randoms = Array.from({ length: clients }, (_, c) => createRandomText(1000 + c + (record ? 0 : 500)));
    const started = performance.now();
    await runClientLoops(clients, after(runSeconds), async (c, iteration) => {
      const { operation, outcome } = await sendMixed(client, tenants[c % tenants.length] as LoadTenant, randoms[c]!, c, iteration);
      if (record) tally.record(operation, outcome);
    });
    return { tally, seconds: (performance.now() - started) / 1000 };
  };
  log(`warm-up: ${warmupSeconds} s (not counted)`);
  await run(warmupSeconds, false);
  const cpuBefore = server.cpuSeconds() ?? 0;
  const threadsBefore = server.threadCpuSeconds();
  const clientCpuBefore = process.cpuUsage();
  log(`measuring: ${clients} clients for ${seconds} s`);
  const { tally, seconds: measured } = await run(seconds, true);
  const cpuUsed = (server.cpuSeconds() ?? 0) - cpuBefore;
  // Per thread: the main thread (GraphQL, HTTP, pg) has the process's id; one worker pinned near 1.0
  // (the engine's: PGlite is single-threaded) would say where the ceiling is.
  const threadCores = (tid: number, total: number) => round((total - (threadsBefore.get(tid) ?? 0)) / measured, 2);
  const { pid } = server;
  const threadsAfter = [...server.threadCpuSeconds()];
  const mainThread = threadCores(pid, threadsAfter.find(([tid]) => tid === pid)?.[1] ?? 0);
  const busiestThreads = threadsAfter.filter(([tid]) => tid !== pid).map(([tid, total]) => threadCores(tid, total)).sort((a, b) => b - a).slice(0, 3);
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const peakRss = server.peakRssMb();
  const loadAfter = loadavg();
  client.close();
  const stopped = await server.stop('SIGTERM');

  const all = summarizeOutcomes(tally.outcomes());
  const perOperation = Object.fromEntries(tally.operations().map((op) => [op, summarizeOutcomes(tally.outcomes(op))]));
  const modelFree = summarizeOutcomes(tally.operations().filter((op) => !MODEL_OPERATIONS.includes(op as never)).flatMap((op) => tally.outcomes(op)));
  const summary = {
    engine: process.env.DATABASE_URL ? 'external (DATABASE_URL)' : 'embedded (PGlite, worker thread)',
    embedder: 'universal-sentence-encoder (offline, 512-d)',
    tenants: tenantCount,
    docs_per_tenant: docsPerTenant,
    clients,
    seconds: round(measured, 1),
    warmup_seconds: warmupSeconds,
    mix_percent: LOAD_MIX,
    requests: all.requests,
    errors: all.errors,
    error_codes: all.codes,
    throughput_rps: round(all.requests / measured, 1),
    p50_ms: all.p50_ms,
    p99_ms: all.p99_ms,
    without_model: { ...modelFree, throughput_rps: round(modelFree.requests / measured, 1) },
    operations: perOperation,
    // A fetch by the id a preload returned must find its document (replacements keep the id).
    fetch_not_found: tally.outcomes('fetch').filter((o) => o.ok && (o.data as { document: unknown } | undefined)?.document === null).length,
    server_start_s: round(server.startSeconds, 1),
    preload_s: round(preloadSeconds, 1),
    server_peak_rss_mb: peakRss === undefined ? null : round(peakRss, 0),
    server_cpu_cores: round(cpuUsed / measured, 2),
    server_main_thread_cores: mainThread,
    server_busiest_worker_threads_cores: busiestThreads,
    // The clients share the machine's cores with the server: what they took is not the server's.
    bench_client_cpu_cores: round((clientCpu.user + clientCpu.system) / 1e6 / measured, 2),
    server_exit: { code: stopped.code, signal: stopped.signal, seconds: round(stopped.seconds, 2) },
    load_average_before: loadBefore.map((v) => round(v, 2)),
    load_average_after: loadAfter.map((v) => round(v, 2)),
  };
  console.log(`engine: ${summary.engine}; embedder: ${summary.embedder}; machine load average before ${fixed(loadBefore)}, after ${fixed(loadAfter)}`);
  console.log(`data: ${tenantCount} tenants x ${docsPerTenant} documents (${DIMENSIONS}-d), preloaded in ${summary.preload_s} s; server ready in ${summary.server_start_s} s`);
  console.log(`load: ${clients} clients, ${summary.seconds} s after a ${warmupSeconds} s warm-up, HTTP keep-alive`);
  console.log(`total: ${all.requests} requests, ${all.errors} errors, ${summary.throughput_rps} req/s, p50 ${all.p50_ms} ms, p99 ${all.p99_ms} ms`);
  console.log(describeSummary('  without the model (vector search, vector upsert, fetch)', modelFree));
  for (const [op, s] of Object.entries(perOperation)) console.log(describeSummary(`  ${op}${MODEL_OPERATIONS.includes(op as never) ? ' [model]' : ''}`, s));
  if (summary.fetch_not_found > 0) console.log(`fetch: ${summary.fetch_not_found} fetches by a preloaded id found no document`);
  console.log(`server: peak RSS ${summary.server_peak_rss_mb} MB, CPU ${summary.server_cpu_cores} cores on average (main thread ${mainThread}, busiest other threads ${busiestThreads.join(', ')}; the bench's clients: ${summary.bench_client_cpu_cores}); SIGTERM -> exit ${stopped.code} in ${summary.server_exit.seconds} s`);
  console.log(JSON.stringify(summary));
} catch (error) {
  process.exitCode = 1;
  console.error(error);
  if (server) console.error(`server output:\n${server.output().stderr}\n${server.output().stdout.slice(-20).join('\n')}`);
} finally {
  if (server?.alive()) await server.stop('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
}
