// `npm run ingest -- --tenant <slug> <file>`: loads a JSON Lines or CSV file into a tenant through
// the document service (the API's own upsert and embedder), opening the database the way the server
// does, or with --server through a running server's API. Exit code 0: everything loaded; 2: some
// records were rejected (see the rejects file); 1: fatal; 130/143: stopped by SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type App, startApp } from '../app.js';
import { loadConfig } from '../config.js';
import { AppError } from '../domain-errors.js';
import { type DocumentSource, formatFromPath, openDocumentSource, SOURCE_FORMATS, type SourceFormat } from '../ingest/document-source.js';
import { runIngest } from '../ingest/ingest-run.js';
import { serviceSink } from '../ingest/ingest.service.js';
import { connectToServer } from '../ingest/server-sink.js';
import { buildSearchIndex, dropSearchIndex, findTenantBySlug } from '../tenants/tenant.service.js';

const USAGE = `Usage: npm run ingest -- --tenant <slug> [options] <file>
       npm run ingest -- --server <url> [--tenant <slug>] [options] <file>

Loads documents from a JSON Lines or CSV file into an existing tenant, embedding their content with
the configured embedder, in batches, through the same document service as the GraphQL API.

  <file>                    .jsonl / .ndjson / .json (one JSON object per line) or .csv (header row)
  --tenant <slug>           the tenant to load into (create it first); required unless --server
                            is given a tenant's API key, which names its tenant itself
  --server <url>            load through a running server's GraphQL API (e.g.
                            http://localhost:4000/graphql) instead of opening the database
  --api-key <key>           with --server: the tenant's API key (or NARWHAL_API_KEY)
  --admin-token <token>     with --server: the admin token (or ADMIN_TOKEN), with --tenant; where
                            the server wants API keys, one is made for the run and revoked after
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

Without --server the database is the server's: DATABASE_URL, or the embedded engine in DATA_DIR
(default ./data). The embedded engine's DATA_DIR is one process's at a time: while a server runs on
it, ingest refuses and names the server; load through it with --server, or stop it first.

Exit code: 0 everything loaded, 2 some records rejected, 1 a fatal error (no such tenant, database
or embedding model or server unavailable, DATA_DIR in use, unreadable file), 130/143 stopped by
SIGINT/SIGTERM.`;

class UsageError extends Error {}

function parse() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      server: { type: 'string' },
      'api-key': { type: 'string' },
      'admin-token': { type: 'string' },
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
  if (!values.tenant && !values.server) throw new UsageError('--tenant <slug> is required');
  if (values.server !== undefined && !/^https?:\/\/[^/]/.test(values.server)) {
    throw new UsageError(`--server must be the server's GraphQL URL, e.g. http://localhost:4000/graphql, got "${values.server}"`);
  }
  if (values.server && values['build-index-after']) {
    throw new UsageError('--build-index-after drops and rebuilds the index in the database itself: not with --server');
  }
  if (!values.server && (values['api-key'] || values['admin-token'])) throw new UsageError('--api-key and --admin-token go with --server');
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
    server: values.server,
    apiKey: values['api-key'],
    adminToken: values['admin-token'],
    format: format as SourceFormat,
    batchSize,
    rejects,
    buildIndexAfter: values['build-index-after'],
    intervalMs: interval * 1000,
  };
}

type Args = NonNullable<ReturnType<typeof parse>>;

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
  if (args.server) return await loadThroughServer(args.server, args, source);
  const config = loadConfig({ ...process.env, SEED_DEMO: 'false' });
  // A DATA_DIR that a server holds is refused here, with the server named (src/db/embedded/data-dir-lock.ts).
  const app = await startApp(config, { log: say, role: 'ingest' });
  try {
    return await loadLocally(app, args, source);
  } finally {
    await app.close();
  }
}

async function loadLocally(app: App, args: Args, source: DocumentSource): Promise<number> {
  const tenant = await findTenantBySlug(app.deps, args.slug!);
  if (!tenant) throw new AppError('TENANT_NOT_FOUND', `No tenant with slug "${args.slug}"`);
  if (tenant.state !== 'ACTIVE') throw new AppError(tenant.state === 'OFFLOADED' ? 'TENANT_OFFLOADED' : 'TENANT_INACTIVE', `Tenant "${args.slug}" is ${tenant.state}; activate it first`);
  if (args.buildIndexAfter && tenant.placement !== 'DEDICATED') {
    throw new AppError('FAILED_PRECONDITION', `--build-index-after: tenant "${args.slug}" is SHARED and has no HNSW index of its own`);
  }
  const batchSize = Math.min(args.batchSize, app.deps.maxBatchSize);
  if (batchSize < args.batchSize) say(`--batch-size ${args.batchSize} is over MAX_BATCH_SIZE: batches of ${batchSize}`);
  say(
    `${source.path} (${source.format}) -> tenant ${tenant.slug} (${tenant.placement}), batches of ${batchSize}, ` +
      `embedder ${app.deps.embedder.model}, engine ${app.engine.kind}`,
  );
  const index = args.buildIndexAfter
    ? {
        drop: () => dropSearchIndex(app.deps, tenant),
        build: () => buildSearchIndex(app.deps, tenant),
        settings: `m ${tenant.hnsw.m}, ef_construction ${tenant.hnsw.efConstruction}`,
      }
    : undefined;
  return runIngest({ tenant, sink: serviceSink(app.deps, tenant), ...(index ? { index } : {}) }, source, runOptions(args, batchSize));
}

async function loadThroughServer(server: string, args: Args, source: DocumentSource): Promise<number> {
  const apiKey = args.apiKey ?? process.env.NARWHAL_API_KEY;
  const adminToken = args.adminToken ?? process.env.ADMIN_TOKEN;
  if (!apiKey && !(adminToken && args.slug)) {
    throw new UsageError('--server needs the tenant\'s API key (--api-key or NARWHAL_API_KEY), or the admin token (--admin-token or ADMIN_TOKEN) with --tenant');
  }
  const target = await connectToServer(server, apiKey ? { apiKey } : { adminToken: adminToken!, slug: args.slug! });
  try {
    if (args.slug && target.tenant.slug !== args.slug) {
      throw new AppError('FORBIDDEN', `the API key is tenant "${target.tenant.slug}"'s, not "${args.slug}"'s`);
    }
    say(`${source.path} (${source.format}) -> tenant ${target.tenant.slug} (${target.tenant.placement}), batches of ${args.batchSize}, server ${server}`);
    return await runIngest(target, source, runOptions(args, args.batchSize));
  } finally {
    await target.close().catch((error: unknown) => say(`could not revoke the API key made for this run: ${describeFatal(error)}`));
  }
}

function runOptions(args: Args, batchSize: number) {
  return { batchSize, rejects: args.rejects, intervalMs: args.intervalMs, say, describeError: describeFatal };
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
