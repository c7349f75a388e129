/**
 * What durability costs the embedded engine: the same writes with EMBEDDED_FSYNC on (each commit
 * fsynced before it is acknowledged) and off (a commit reaches the page cache only), each on a
 * fresh data directory on this machine's disk. Two figures per mode:
 * - single upsert latency: one document with a precomputed vector per upsertDocuments call, one
 *   after another (a commit each), p50/p99;
 * - bulk rows/s: documents with precomputed vectors in batches of 1000 (a commit per batch).
 * No model runs (vectors only), so the figures are the database's and the service's.
 * Progress goes to stderr; the last line on stdout is one JSON object.
 *
 *   npm run bench:durability
 *   BENCH_SINGLE=500 BENCH_ROWS=20000 npm run bench:durability
 *   BENCH_DIR=/var/lib/narwhal-bench npm run bench:durability   # the disk a deployment would use
 *   BENCH_FIRST=on npm run bench:durability                     # measure fsync on first
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startApp } from '../../src/app.js';
import { upsertDocuments } from '../../src/documents/document.service.js';
import { createEmbeddingLoaders } from '../../src/embeddings/embedding-loaders.js';
import { createTenant } from '../../src/tenants/tenant.service.js';
import { benchConfig, countFromEnv } from '../shared/bench-config.js';
import { round, summarizeLatencies } from '../shared/search-metrics.js';
import { vectorOnlyEmbedder } from '../shared/vector-only-embedder.js';

const DIMENSIONS = 384;
const BULK_BATCH = 1000;
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

function randomUnitVector(dimensions: number): number[] {
  const vector = Array.from({ length: dimensions }, () => Math.random() - 0.5);
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}

async function measure(fsync: boolean, singles: number, rows: number, parent: string) {
  const dataDir = await mkdtemp(join(parent, `narwhal-durability-${fsync ? 'on' : 'off'}-`));
  const embedder = vectorOnlyEmbedder(DIMENSIONS);
  const app = await startApp(
    benchConfig({ DATA_DIR: dataDir, EMBEDDED_FSYNC: String(fsync), DATABASE_URL: '', EMBEDDING_DIMENSIONS: String(DIMENSIONS) }),
    { embedder, log: () => {} },
  );
  try {
    const tenant = await createTenant(app.deps, { slug: `durability-${fsync ? 'on' : 'off'}` });
    const upsert = (documents: { externalId: string; content: string; embedding: number[] }[]) =>
      upsertDocuments(app.deps, createEmbeddingLoaders(embedder), tenant, documents);

    // Untimed warm-up, so neither mode pays for the process's first calls (JIT, first statements).
    for (let i = 0; i < 20; i += 1) await upsert([{ externalId: `warm-${i}`, content: `warm ${i}`, embedding: randomUnitVector(DIMENSIONS) }]);
    await upsert(Array.from({ length: BULK_BATCH }, (_, i) => ({ externalId: `warm-bulk-${i}`, content: `warm ${i}`, embedding: randomUnitVector(DIMENSIONS) })));

    log(`fsync ${fsync ? 'on' : 'off'}: ${singles} single upserts`);
    const latencies: number[] = [];
    for (let i = 0; i < singles; i += 1) {
      const started = performance.now();
      await upsert([{ externalId: `single-${i}`, content: `single ${i}`, embedding: randomUnitVector(DIMENSIONS) }]);
      latencies.push(performance.now() - started);
    }
    const single = summarizeLatencies(latencies);

    log(`fsync ${fsync ? 'on' : 'off'}: ${rows} rows in batches of ${BULK_BATCH}`);
    let seconds = 0;
    for (let start = 0; start < rows; start += BULK_BATCH) {
      const count = Math.min(BULK_BATCH, rows - start);
      const batch = Array.from({ length: count }, (_, i) => ({
        externalId: `bulk-${start + i}`,
        content: `bulk ${start + i}`,
        embedding: randomUnitVector(DIMENSIONS),
      }));
      const started = performance.now();
      await upsert(batch);
      seconds += (performance.now() - started) / 1000;
    }
    await app.deps.maintenance.idle();
    return { single_p50_ms: round(single.p50, 2), single_p99_ms: round(single.p99, 2), bulk_rows_per_s: round(rows / seconds, 0) };
  } finally {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const singles = countFromEnv('BENCH_SINGLE', 300);
const rows = countFromEnv('BENCH_ROWS', 10_000);
const parent = process.env.BENCH_DIR ?? tmpdir();
// Each mode warms up first, but on a busy machine the order can still matter: BENCH_FIRST=on
// swaps it, to tell that from the cost of fsync.
const onFirst = process.env.BENCH_FIRST === 'on';
const first = await measure(onFirst, singles, rows, parent);
const second = await measure(!onFirst, singles, rows, parent);
const [on, off] = onFirst ? [first, second] : [second, first];
console.log(`fsync off: single upsert p50 ${off.single_p50_ms} ms, p99 ${off.single_p99_ms} ms; bulk ${off.bulk_rows_per_s} rows/s`);
console.log(`fsync on:  single upsert p50 ${on.single_p50_ms} ms, p99 ${on.single_p99_ms} ms; bulk ${on.bulk_rows_per_s} rows/s`);
console.log(
  JSON.stringify({
    dir: parent,
    first: onFirst ? 'fsync_on' : 'fsync_off',
    singles,
    rows,
    dimensions: DIMENSIONS,
    fsync_off: off,
    fsync_on: on,
    single_p50_ratio: round(on.single_p50_ms / off.single_p50_ms, 2),
    bulk_ratio: round(on.bulk_rows_per_s / off.bulk_rows_per_s, 2),
  }),
);
