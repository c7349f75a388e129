/**
 * Ingestion throughput: loads SciFact's corpus (BEIR corpus.jsonl, read from outside the repo)
 * through the ingest CLI's own loop (src/ingest/ingest.service.ts, called in-process) into a fresh
 * tenant with the deployment's embedder, and sets it beside what the embedder alone does with the
 * same texts in the same batches, measured first in the same process on a warm model. The ratio
 * pipeline/embedder says how much of the model's throughput the database and the loop cost (goal:
 * >= 0.85). Also: event-loop delay while loading (the model and the embedded engine each run in
 * worker threads, so it should stay small), peak
 * RSS, and rows/s for precomputed vectors (no model) through upsertDocuments.
 * Progress goes to stderr; stdout is a table and, as its last line, one JSON object.
 *
 *   npm run bench:ingest                          # ../shared/data/scifact/ beside the repository
 *   BENCH_DOCS=500 npm run bench:ingest           # the first 500 documents only
 *   BENCH_PLACEMENT=DEDICATED npm run bench:ingest  # tenants with their own HNSW index, kept up
 *                                                 # to date on every write (default SHARED, as
 *                                                 # createTenant; no index to maintain)
 *   SCIFACT_DIR=/data/scifact BENCH_VECTORS=2000 npm run bench:ingest
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startApp } from '../../src/app.js';
import { upsertDocuments } from '../../src/documents/document.service.js';
import { createEmbeddingLoaders } from '../../src/embeddings/embedding-loaders.js';
import { openDocumentSource } from '../../src/ingest/document-source.js';
import { ingestDocuments } from '../../src/ingest/ingest.service.js';
import { PLACEMENTS, type Placement, type Tenant } from '../../src/tenants/tenant.js';
import { createTenant, deleteTenant } from '../../src/tenants/tenant.service.js';
import { cleanupStep } from '../shared/cleanup-step.js';
import { startRssSampler } from '../shared/rss-sampler.js';
import { round } from '../shared/search-metrics.js';
import { benchConfig, countFromEnv } from '../shared/bench-config.js';

const BATCH_SIZE = 256;
const VECTOR_BATCH_SIZE = 1000;
const RATIO_GOAL = 0.85;

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

function corpusFile(): string {
  const fromEnv = process.env.SCIFACT_DIR;
  const dir =
    fromEnv === undefined || fromEnv === ''
      ? new URL('../../../shared/data/scifact/', import.meta.url)
      : pathToFileURL(fromEnv.endsWith('/') ? fromEnv : `${fromEnv}/`);
  return fileURLToPath(new URL('corpus.jsonl', dir));
}

function placementFromEnv(): Placement {
  const raw = process.env.BENCH_PLACEMENT ?? 'SHARED';
  if (!(PLACEMENTS as readonly string[]).includes(raw)) throw new Error(`BENCH_PLACEMENT must be SHARED or DEDICATED, got "${raw}"`);
  return raw as Placement;
}

async function* take<T>(items: AsyncIterable<T>, count: number): AsyncGenerator<T> {
  if (count <= 0) return;
  let taken = 0;
  for await (const item of items) {
    yield item;
    taken += 1;
    if (taken >= count) return;
  }
}

/** A unit vector with normally distributed components (uniform direction on the sphere). */
function randomUnitVector(dimensions: number): number[] {
  const vector = Array.from({ length: dimensions }, () => {
    const u = 1 - Math.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
  });
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

const file = corpusFile();
const limit = process.env.BENCH_DOCS ? countFromEnv('BENCH_DOCS', 1) : Number.POSITIVE_INFINITY;
const vectorCount = countFromEnv('BENCH_VECTORS', 10_000);
const placement = placementFromEnv();

// The texts the pipeline will embed: the documents the loop accepts, in file order.
const texts: string[] = [];
let records = 0;
for await (const item of take((await openDocumentSource(file, 'jsonl')).items, limit)) {
  records += 1;
  if (item.kind === 'document' && item.input.content.trim() !== '' && !item.input.content.includes('\u0000')) {
    texts.push(item.input.content);
  }
}
log(`corpus ${file}: ${records} records, ${texts.length} documents with content`);

const config = benchConfig({ PROMOTION_THRESHOLD: '0', MAX_BATCH_SIZE: String(VECTOR_BATCH_SIZE) });
const rss = startRssSampler();
const app = await startApp(config, { log });
const tenants: string[] = [];
const runStarted = performance.now();

async function freshTenant(purpose: string): Promise<Tenant> {
  const slug = `ingest-bench-${purpose}-${Date.now()}`;
  const tenant = await createTenant(app.deps, { slug, name: `bench/ingest/ingest.ts: ${purpose}`, placement });
  tenants.push(slug);
  return tenant;
}

try {
  const embedder = app.deps.embedder;
  log(config.databaseUrl ? 'engine: external PostgreSQL from DATABASE_URL' : `engine: embedded PGlite (${config.dataDir})`);

  // 1. The embedder alone, warm, on the same texts in the same batches: the ceiling. A warm-up of
  // 50 texts was not enough: the first full batch after it still ran at half speed (the model's
  // JavaScript kernels are still being optimized, and a batch of this size had not been seen yet),
  // which flattered the pipeline. So the warm-up is one full batch.
  const warmup = texts.slice(0, BATCH_SIZE);
  log(`warming up ${embedder.model} with ${warmup.length} texts (one full batch)`);
  await embedder.embedDocuments(warmup);
  log(`embedder only: ${texts.length} texts in batches of ${BATCH_SIZE}`);
  const embedStarted = performance.now();
  for (let start = 0; start < texts.length; start += BATCH_SIZE) {
    const batch = texts.slice(start, start + BATCH_SIZE);
    const vectors = await embedder.embedDocuments(batch);
    if (vectors.length !== batch.length) throw new Error(`embedder returned ${vectors.length} vectors for ${batch.length} texts`);
    const done = start + batch.length;
    log(`  ${done}/${texts.length} texts, ${(done / ((performance.now() - embedStarted) / 1000)).toFixed(1)} texts/s`);
  }
  const embedSeconds = (performance.now() - embedStarted) / 1000;

  // 2. The ingest loop, as `npm run ingest` runs it: read, validate, embed, write, two batches in flight.
  const corpusTenant = await freshTenant('corpus');
  log(`pipeline: ${records} records into ${placement} tenant ${corpusTenant.slug}, batches of ${BATCH_SIZE}`);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  let lastLog = performance.now();
  delay.enable();
  const result = await ingestDocuments(app.deps, corpusTenant, take((await openDocumentSource(file, 'jsonl')).items, limit), {
    batchSize: BATCH_SIZE,
    onProgress: (counts) => {
      if (performance.now() - lastLog < 5000) return;
      lastLog = performance.now();
      log(`  ${counts.loaded} loaded, ${counts.rejected} rejected`);
    },
    onReject: (rejection) => {
      log(`  rejected line ${rejection.line}: ${rejection.error}`);
    },
  });
  delay.disable();
  const rssAfterPipeline = rss.peakMb();
  if (result.loaded !== texts.length) throw new Error(`pipeline loaded ${result.loaded} documents, expected ${texts.length}`);
  await app.deps.maintenance.idle();

  // 3. Precomputed vectors: the database and the service without the model.
  const vectorTenant = await freshTenant('vectors');
  log(`vectors: ${vectorCount} random unit ${embedder.dimensions}-d vectors in batches of ${VECTOR_BATCH_SIZE}`);
  let vectorSeconds = 0;
  for (let start = 0; start < vectorCount; start += VECTOR_BATCH_SIZE) {
    const count = Math.min(VECTOR_BATCH_SIZE, vectorCount - start);
    const batch = Array.from({ length: count }, (_, i) => ({
      externalId: `v${start + i}`,
      content: `vector ${start + i}`,
      embedding: randomUnitVector(embedder.dimensions),
    }));
    const started = performance.now();
    await upsertDocuments(app.deps, createEmbeddingLoaders(embedder), vectorTenant, batch);
    vectorSeconds += (performance.now() - started) / 1000;
    log(`  ${start + count}/${vectorCount} rows, ${((start + count) / vectorSeconds).toFixed(0)} rows/s`);
  }
  await app.deps.maintenance.idle();

  const summary = {
    engine: app.engine.kind,
    embedder: embedder.model,
    placement,
    documents: texts.length,
    rejected: result.rejected,
    batch_size: BATCH_SIZE,
    embedder_docs_per_s: round(texts.length / embedSeconds, 2),
    pipeline_docs_per_s: round(result.loaded / result.seconds, 2),
    pipeline_over_embedder: round(result.loaded / result.seconds / (texts.length / embedSeconds), 3),
    ratio_goal: RATIO_GOAL,
    embedder_s: round(embedSeconds, 1),
    pipeline_s: round(result.seconds, 1),
    event_loop_delay_p99_ms: round(delay.percentile(99) / 1e6, 1),
    event_loop_delay_max_ms: round(delay.max / 1e6, 1),
    peak_rss_mb_pipeline: round(rssAfterPipeline, 0),
    peak_rss_mb: round(rss.peakMb(), 0),
    vectors: vectorCount,
    vector_dimensions: embedder.dimensions,
    vector_batch_size: VECTOR_BATCH_SIZE,
    vector_rows_per_s: round(vectorCount / vectorSeconds, 0),
    vector_s: round(vectorSeconds, 1),
    total_s: round((performance.now() - runStarted) / 1000, 1),
  };
  const rows: [string, string][] = [
    ['engine / embedder', `${summary.engine} / ${summary.embedder}, ${placement} tenants`],
    ['documents', `${summary.documents} SciFact abstracts (${summary.rejected} rejected), batches of ${BATCH_SIZE}`],
    ['embedder only', `${summary.embedder_docs_per_s} docs/s (${summary.embedder_s} s, warm, no database)`],
    ['pipeline', `${summary.pipeline_docs_per_s} docs/s (${summary.pipeline_s} s, ingest loop, 2 batches in flight)`],
    [
      'pipeline / embedder',
      `${summary.pipeline_over_embedder} (goal >= ${RATIO_GOAL}: ${summary.pipeline_over_embedder >= RATIO_GOAL ? 'met' : 'NOT met'})`,
    ],
    ['event-loop delay', `p99 ${summary.event_loop_delay_p99_ms} ms, max ${summary.event_loop_delay_max_ms} ms during the pipeline`],
    ['peak RSS', `${summary.peak_rss_mb_pipeline} MB through the pipeline, ${summary.peak_rss_mb} MB in all`],
    ['precomputed vectors', `${summary.vector_rows_per_s} rows/s (${vectorCount} x ${embedder.dimensions}d in ${summary.vector_s} s)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log([...rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`), JSON.stringify(summary)].join('\n'));
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  for (const slug of tenants) await cleanupStep(`deleteTenant ${slug}`, () => deleteTenant(app.deps, slug));
  rss.stop();
  await cleanupStep('app.close', () => app.close());
}
