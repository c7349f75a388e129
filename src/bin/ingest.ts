// `npm run ingest -- --tenant <slug> <file>`: loads a JSON Lines or CSV file into a tenant through
// the document service (the API's own upsert and embedder), opening the database the way the server
// does. Exit code 0: everything loaded; 2: some records were rejected (see the rejects file); 1: fatal.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type App, startApp } from '../app.js';
import { loadConfig } from '../config.js';
import { AppError } from '../errors.js';
import { formatFromPath, openDocumentSource, SOURCE_FORMATS, type SourceFormat } from '../ingest/document-source.js';
import { type IngestCounts, type IngestResult, ingestDocuments } from '../ingest/ingest.service.js';
import { createProgressReporter, formatDuration, formatSummary } from '../ingest/progress-reporter.js';
import { openRejectsFile } from '../ingest/rejects-file.js';
import { buildSearchIndex, dropSearchIndex, findTenantBySlug } from '../tenants/tenant.service.js';

const USAGE = `Usage: npm run ingest -- --tenant <slug> [options] <file>

Loads documents from a JSON Lines or CSV file into an existing tenant, embedding their content with
the configured embedder, in batches, through the same document service as the GraphQL API.

  <file>                    .jsonl / .ndjson / .json (one JSON object per line) or .csv (header row)
  --tenant <slug>           the tenant to load into (required; create it first)
  --format jsonl|csv        override the format the file extension implies
  --batch-size <n>          documents per upsert (default 256, at most MAX_BATCH_SIZE)
  --rejects <path>          where rejected records go (default <file>.rejects.jsonl), one
                            {"line", "error", "input"} per line; removed when nothing is rejected
  --build-index-after       DEDICATED tenants: drop the HNSW index before loading, rebuild it after
                            (faster for a big load; searches scan exactly until it is rebuilt)
  --progress-interval <s>   seconds between progress lines when stderr is not a terminal (default 2)
  -h, --help                this text

JSON Lines: {"externalId", "content", "metadata", "embedding"} (the API's DocumentInput), or BEIR's
{"_id", "title", "text"} (content becomes title + newline + text, metadata {title}).
CSV: a column externalId, id or _id; content or text (and an optional title, put before the text);
metadata as a JSON object column; embedding as a JSON array column; any other column is copied
into metadata. Quoted fields may hold commas, doubled quotes and line breaks (RFC 4180).

Re-running a file is safe and cheap: documents are upserted by external id, and a document whose
content is unchanged is not embedded again (documents without an external id get a new one each
run, so they are loaded again). Stop with Ctrl-C or SIGTERM: batches in flight finish; re-run to resume.

The database is the server's: DATABASE_URL, or the embedded engine in DATA_DIR (default ./data).
The embedded engine's DATA_DIR must not be served by a running server at the same time (it is one
process's files): stop \`npm start\` first, or load through the server's upsertDocuments mutation.

Exit code: 0 everything loaded, 2 some records rejected, 1 a fatal error (no such tenant, database
or embedding model unavailable, unreadable file).`;

const MAX_NOTED_REJECTIONS = 20;

class UsageError extends Error {}

function parse() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      format: { type: 'string' },
      'batch-size': { type: 'string', default: '256' },
      rejects: { type: 'string' },
      'build-index-after': { type: 'boolean', default: false },
      'progress-interval': { type: 'string', default: '2' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) throw new UsageError(file ? `one file at a time, got ${positionals.length}` : 'no file given');
  if (!values.tenant) throw new UsageError('--tenant <slug> is required');
  const format = values.format ?? formatFromPath(file);
  if (!format || !(SOURCE_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(values.format ? `--format must be jsonl or csv, got "${values.format}"` : `cannot tell the format of ${file}: use --format jsonl|csv`);
  }
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch-size must be a positive integer, got "${values['batch-size']}"`);
  const interval = Number(values['progress-interval']);
  if (!Number.isFinite(interval) || interval < 0) throw new UsageError(`--progress-interval must be seconds >= 0, got "${values['progress-interval']}"`);
  const rejects = values.rejects ?? `${file}.rejects.jsonl`;
  if (resolve(rejects) === resolve(file)) throw new UsageError('--rejects must not be the input file');
  return {
    file,
    slug: values.tenant,
    format: format as SourceFormat,
    batchSize,
    rejects,
    buildIndexAfter: values['build-index-after'],
    intervalMs: interval * 1000,
  };
}

const say = (message: string) => process.stderr.write(`[ingest] ${message}\n`);

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (!args) {
    console.log(USAGE);
    return 0;
  }
  const source = await openDocumentSource(args.file, args.format);
  const config = loadConfig({ ...process.env, SEED_DEMO: 'false' });
  const app = await startApp(config, { log: say });
  try {
    return await load(app, args, source);
  } finally {
    await app.close();
  }
}

async function load(
  app: App,
  args: NonNullable<ReturnType<typeof parse>>,
  source: Awaited<ReturnType<typeof openDocumentSource>>,
): Promise<number> {
  const tenant = await findTenantBySlug(app.deps, args.slug);
  if (!tenant) throw new AppError('TENANT_NOT_FOUND', `No tenant with slug "${args.slug}"`);
  if (tenant.state !== 'ACTIVE') throw new AppError('TENANT_INACTIVE', `Tenant "${args.slug}" is ${tenant.state}; activate it first`);
  if (args.buildIndexAfter && tenant.placement !== 'DEDICATED') {
    throw new AppError('FAILED_PRECONDITION', `--build-index-after: tenant "${args.slug}" is SHARED and has no HNSW index of its own`);
  }
  const batchSize = Math.min(args.batchSize, app.deps.maxBatchSize);
  if (batchSize < args.batchSize) say(`--batch-size ${args.batchSize} is over MAX_BATCH_SIZE: batches of ${batchSize}`);
  say(
    `${source.path} (${source.format}) -> tenant ${tenant.slug} (${tenant.placement}), batches of ${batchSize}, ` +
      `embedder ${app.deps.embedder.model}, engine ${app.engine.kind}`,
  );

  const rejects = await openRejectsFile(args.rejects);
  const progress = createProgressReporter({
    out: process.stderr,
    tty: process.stderr.isTTY === true,
    totalBytes: source.totalBytes,
    position: source.position,
    intervalMs: args.intervalMs,
  });
  // SIGINT (Ctrl-C) and SIGTERM (a supervisor, `kill`) stop the run the same way; the same signal
  // again falls back to its default action and kills the process.
  const stop = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    progress.note(`[ingest] interrupted by ${signal}: finishing the batches in flight (${signal} again to kill)`);
    process.off(signal, onSignal);
    stoppedBy ??= signal;
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let result: IngestResult | undefined;
  let counts: IngestCounts = { read: 0, loaded: 0, rejected: 0 };
  try {
    if (args.buildIndexAfter) {
      await dropSearchIndex(app.deps, tenant);
      progress.note(`[ingest] dropped the HNSW index of ${tenant.slug}; it is rebuilt after loading`);
    }
    result = await ingestDocuments(app.deps, tenant, source.items, {
      batchSize,
      signal: stop.signal,
      onProgress: (next) => {
        counts = next;
        progress.update(next);
      },
      onReject: async (rejection) => {
        await rejects.write(rejection);
        if (rejects.written <= MAX_NOTED_REJECTIONS) progress.note(`[ingest] line ${rejection.line}: ${rejection.error}`);
        if (rejects.written === MAX_NOTED_REJECTIONS + 1) progress.note(`[ingest] more rejected lines: see ${rejects.path}`);
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const { written } = await rejects.close();
    if (result) {
      progress.finish(formatSummary(result));
    } else {
      progress.finish(
        `[ingest] stopped by a fatal error after ${counts.loaded} loaded, ${counts.rejected} rejected ` +
          '(what was loaded stays; re-run to resume)',
      );
    }
    if (written > 0) say(`rejected records (${written}) are in ${rejects.path}`);
    if (args.buildIndexAfter) {
      // Rebuilt after a failure too, so the tenant is not left searching without its index.
      const started = performance.now();
      say(`building the HNSW index of ${tenant.slug} (m ${tenant.hnsw.m}, ef_construction ${tenant.hnsw.efConstruction})`);
      try {
        await buildSearchIndex(app.deps, tenant);
        say(`HNSW index built in ${formatDuration((performance.now() - started) / 1000)}`);
      } catch (error) {
        say(`the HNSW index was NOT rebuilt (${describeFatal(error)}): run \`npm run admin -- rebuild-index ${tenant.slug}\``);
        if (result) throw error; // else the load's own error is the one to report
      }
    }
  }
  if (result.interrupted) say(`interrupted after ${result.read} records were read: re-run the same command to resume`);
  if (result.withoutExternalId > 0) {
    say(`${result.withoutExternalId} documents had no external id: a re-run would load them again`);
  }
  // The shell's convention for a process stopped by a signal: 128 + its number.
  if (result.interrupted) return stoppedBy === 'SIGTERM' ? 143 : 130;
  return result.rejected > 0 ? 2 : 0;
}

function describeFatal(error: unknown): string {
  if (error instanceof AppError) return `${error.code}: ${error.message}`;
  if (!(error instanceof Error)) return String(error);
  // A refused connection arrives as an AggregateError with no message of its own.
  const code = (error as { code?: unknown }).code;
  const inner = error instanceof AggregateError ? error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))) : [];
  return [error.message, ...inner, typeof code === 'string' ? `(${code})` : ''].filter(Boolean).join(' ') || String(error);
}

try {
  process.exitCode = await main();
} catch (error) {
  say(`fatal: ${describeFatal(error)}`);
  if (process.env.DEBUG) console.error(error);
  process.exitCode = 1;
}
