/**
 * Retrieval quality on a real benchmark: loads SciFact (BEIR format, read from outside the repo)
 * into a DEDICATED tenant through the document service with the deployment's own embedder, then
 * runs the 300 judged test queries through the GraphQL HTTP endpoint in each search mode
 * (VECTOR, KEYWORD, HYBRID) and reports nDCG@10 and recall@100 beside the published BM25 figure,
 * with per-query latency. A mode the server does not offer yet is reported "not available".
 * Progress goes to stderr; stdout is a table and, as its last line, one JSON object.
 *
 *   npm run bench:quality                          # ../shared/data/scifact/ beside the repository
 *   SCIFACT_DIR=/data/scifact npm run bench:quality
 *   BENCH_DOCS=500 npm run bench:quality           # smoke run over the first 500 documents only
 *   BENCH_TRUST_SWEEP=0,0.25,0.5,1 npm run bench:quality  # HYBRID at each vector trust, to calibrate
 *                                                  # HYBRID_VECTOR_TRUST for an embedder
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startApp } from '../../src/app.js';
import type { DocumentInput } from '../../src/documents/document.js';
import { upsertDocuments } from '../../src/documents/document.service.js';
import { createEmbeddingLoaders } from '../../src/embeddings/embedding-loaders.js';
import { createTenant, deleteTenant } from '../../src/tenants/tenant.service.js';
import { loadBeirDataset } from './beir-dataset.js';
import { createGraphqlClient } from '../shared/graphql-client.js';
import { type LoopbackServer, listenOnLoopback } from '../shared/loopback-server.js';
import { describeTally, type ModeNotes, type PerMode, type QualitySummary, formatQualityReport } from './quality-report.js';
import { scoreRuns, selfCheckRetrievalMetrics } from './retrieval-metrics.js';
import { percentile, round } from '../shared/search-metrics.js';
import { detectSearchSupport, type ModeOutcome, runTextSearchPass, SEARCH_MODES, type SearchMode } from './text-search-pass.js';
import { cleanupStep } from '../shared/cleanup-step.js';
import { startUniversalSentenceEncoder } from '../../src/embeddings/universal-sentence-encoder.provider.js';
import { withEmbeddingCache } from './embedding-cache.js';
import { benchConfig } from '../shared/bench-config.js';

const BM25_PUBLISHED_NDCG_AT_10 = 0.665; // BEIR paper (Thakur et al., 2021), SciFact test split
const K = 100;
const BATCH_SIZE = 200;
const WARMUP_QUERIES = 10;
const MODE_KEYS: Record<SearchMode, keyof PerMode> = { VECTOR: 'vector', KEYWORD: 'keyword', HYBRID: 'hybrid' };

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

function dataDirectory(): URL {
  const fromEnv = process.env.SCIFACT_DIR;
  if (fromEnv === undefined || fromEnv === '') return new URL('../../../shared/data/scifact/', import.meta.url);
  return pathToFileURL(fromEnv.endsWith('/') ? fromEnv : `${fromEnv}/`);
}

/** BENCH_TRUST_SWEEP=0,0.25,1: evidence-weighted HYBRID at each of these vector trusts. */
function trustSweep(): number[] {
  const raw = process.env.BENCH_TRUST_SWEEP;
  if (raw === undefined || raw === '') return [];
  return raw.split(',').map((part) => {
    const value = Number(part);
    if (!Number.isFinite(value) || value < 0) throw new Error(`BENCH_TRUST_SWEEP must list numbers >= 0, got "${part}"`);
    return value;
  });
}

function documentLimit(): number {
  const raw = process.env.BENCH_DOCS;
  if (raw === undefined || raw === '') return Number.POSITIVE_INFINITY;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`BENCH_DOCS must be a positive integer, got "${raw}"`);
  return value;
}

// The formulas are checked before minutes of embedding are spent on figures they would get wrong.
selfCheckRetrievalMetrics();
const dataDir = dataDirectory();
const dataset = await loadBeirDataset(dataDir);
const queryText = new Map(dataset.queries.map((query) => [query.id, query.text]));
const testQueries = [...dataset.qrels.keys()].map((id) => {
  const text = queryText.get(id);
  if (text === undefined || text.trim() === '') throw new Error(`judged query ${id} is missing from queries.jsonl`);
  return { id, text };
});
// Warm-up uses queries outside the judged set, so no measured query has been seen before.
const warmup = dataset.queries
  .filter((query) => !dataset.qrels.has(query.id) && query.text.trim() !== '')
  .slice(0, WARMUP_QUERIES)
  .map((query) => query.text);

const inputs: DocumentInput[] = [];
const skipped: string[] = [];
for (const doc of dataset.corpus.slice(0, documentLimit())) {
  const content = `${doc.title}\n${doc.text}`.trim();
  if (content === '' || content.includes('\u0000')) skipped.push(doc.id);
  else inputs.push({ externalId: doc.id, content, metadata: { title: doc.title } });
}
log(`dataset ${dataDir.pathname}: ${dataset.corpus.length} documents, ${testQueries.length} judged test queries`);
if (skipped.length > 0) log(`skipped ${skipped.length} documents with empty or unstorable content (first: ${skipped[0]})`);
if (inputs.length < dataset.corpus.length) log(`WARNING: loading ${inputs.length} of ${dataset.corpus.length} documents: figures are not comparable`);

const config = benchConfig({ PROMOTION_THRESHOLD: '0', MAX_BATCH_SIZE: '1000' });
// BENCH_EMBEDDING_CACHE=<file>: keep the model's vectors between runs (embedding dominates a run).
const cacheFile = process.env.BENCH_EMBEDDING_CACHE;
const cache = cacheFile ? await withEmbeddingCache(await startUniversalSentenceEncoder(), cacheFile) : undefined;
const app = await startApp(config, { log, ...(cache ? { embedder: cache.provider } : {}) });
const slug = `quality-${Date.now()}`;
let server: LoopbackServer | undefined;
let tenantCreated = false;

try {
  log(config.databaseUrl ? 'engine: external PostgreSQL from DATABASE_URL' : `engine: embedded PGlite (${config.dataDir})`);
  const tenant = await createTenant(app.deps, { slug, name: 'SciFact quality benchmark (bench/quality/quality.ts)', placement: 'DEDICATED' });
  tenantCreated = true;

  log(`loading ${inputs.length} documents in batches of ${BATCH_SIZE}, embedded with ${app.deps.embedder.model}`);
  const loadStarted = performance.now();
  for (let start = 0; start < inputs.length; start += BATCH_SIZE) {
    const batch = inputs.slice(start, start + BATCH_SIZE);
    // Fresh loaders per batch, as each GraphQL request gets its own.
    const written = await upsertDocuments(app.deps, createEmbeddingLoaders(app.deps.embedder), tenant, batch);
    if (written.length !== batch.length) throw new Error(`upsert of ${batch.length} documents returned ${written.length}`);
    const loaded = start + batch.length;
    const seconds = (performance.now() - loadStarted) / 1000;
    log(`  ${loaded}/${inputs.length} documents, ${(loaded / seconds).toFixed(1)} docs/s`);
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  // Statistics are refreshed in the background after writes; measure the settled tenant.
  await app.deps.maintenance.idle();

  server = await listenOnLoopback(app.yoga, '/graphql');
  const client = createGraphqlClient(server.url);
  const support = await detectSearchSupport(client);
  log(
    `search API: mode argument ${support.modeArgument ? `yes (${support.modes.join(', ') || 'no enum values'})` : 'no'}, ` +
      `info.keywordRanking ${support.keywordRanking ? 'yes' : 'no'}`,
  );

  const outcomes = new Map<SearchMode, ModeOutcome>();
  for (const mode of SEARCH_MODES) {
    log(`${mode}: ${testQueries.length} queries after ${warmup.length} warm-up`);
    const outcome = await runTextSearchPass(client, slug, { support, mode, queries: testQueries, warmup, k: K });
    if (!outcome.available) log(`${mode}: not available (${outcome.reason})`);
    outcomes.set(mode, outcome);
  }

  const sweep: Record<string, number> = {};
  for (const vectorTrust of trustSweep()) {
    log(`HYBRID with vector trust ${vectorTrust}: ${testQueries.length} queries`);
    const fusion = { method: 'WEIGHTED', vectorTrust };
    const outcome = await runTextSearchPass(client, slug, { support, mode: 'HYBRID', queries: testQueries, warmup, k: K, fusion });
    if (outcome.available) sweep[String(vectorTrust)] = round(scoreRuns(outcome.pass.rankings, dataset.qrels).ndcgAt10, 4);
  }

  // Figures of the modes that ran; the others stay null in the JSON and "not available" in the table.
  type ModeFigures = { ndcgAt10: number; recallAt100: number; p50: number; p99: number };
  const figures = new Map<keyof PerMode, ModeFigures>();
  const notes = {} as ModeNotes;
  for (const [mode, outcome] of outcomes) {
    const key = MODE_KEYS[mode];
    if (!outcome.available) {
      notes[key] = { unavailable: outcome.reason };
      continue;
    }
    const { ndcgAt10, recallAt100 } = scoreRuns(outcome.pass.rankings, dataset.qrels);
    const latencies = outcome.pass.latenciesMs;
    figures.set(key, { ndcgAt10, recallAt100, p50: percentile(latencies, 50), p99: percentile(latencies, 99) });
    const keyword = describeTally(outcome.pass.keywordRankings);
    const strategy = describeTally(outcome.pass.strategies);
    notes[key] = { ranking: keyword ? `${keyword} / ${strategy}` : strategy };
  }
  const perMode = (pick: (f: ModeFigures) => number, decimals: number): PerMode => {
    const value = (key: keyof PerMode) => {
      const found = figures.get(key);
      return found ? round(pick(found), decimals) : null;
    };
    return { vector: value('vector'), keyword: value('keyword'), hybrid: value('hybrid') };
  };
  // The keyword ranking function as the KEYWORD searches name it, else as the HYBRID ones do.
  const keywordRankings = (['KEYWORD', 'HYBRID'] as const)
    .map((mode) => outcomes.get(mode))
    .map((outcome) => (outcome?.available ? [...outcome.pass.keywordRankings.keys()] : []))
    .find((values) => values.length > 0);

  const summary: QualitySummary = {
    engine: app.engine.kind,
    documents: inputs.length,
    queries: testQueries.length,
    embedder: app.deps.embedder.model,
    ndcg_at_10: perMode((f) => f.ndcgAt10, 4),
    recall_at_100: perMode((f) => f.recallAt100, 4),
    p50_ms: perMode((f) => f.p50, 2),
    p99_ms: perMode((f) => f.p99, 2),
    keyword_ranking: keywordRankings ? keywordRankings.join(', ') : null,
    bm25_published_ndcg_at_10: BM25_PUBLISHED_NDCG_AT_10,
    load_docs_per_s: round(inputs.length / loadSeconds, 1),
    hybrid_ndcg_at_10_by_vector_trust: sweep,
  };
  console.log(formatQualityReport(summary, notes, { dataset: 'SciFact (BEIR), test split', loadSeconds }));
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  await cleanUp();
}

// Runs after a failure too; a failing step is reported without hiding the first error.
async function cleanUp(): Promise<void> {
  if (cache) await cleanupStep('embedding cache', cache.save);
  if (tenantCreated) await cleanupStep('deleteTenant', () => deleteTenant(app.deps, slug));
  if (server) await cleanupStep('HTTP server close', () => (server as LoopbackServer).close());
  await cleanupStep('app.close', () => app.close());
}
