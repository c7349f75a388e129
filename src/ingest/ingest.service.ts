import { performance } from 'node:perf_hooks';
import type { DocumentInput } from '../documents/document.js';
import { validateDocumentBatch } from '../documents/document-input.js';
import { upsertDocuments } from '../documents/document.service.js';
import { createEmbeddingLoaders } from '../embeddings/embedding-loaders.js';
import { AppError } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import type { Tenant } from '../tenants/tenant.js';
import type { SourceItem } from './document-records.js';

/** A record that was not loaded, with the physical line it came from. */
export type Rejection = { line: number; error: string; input: unknown };

export type IngestCounts = {
  /** Records read from the source so far (documents and invalid lines). */
  read: number;
  loaded: number;
  rejected: number;
};

export type IngestResult = IngestCounts & {
  /** Loaded documents that had no external id: the service gave them one, so a re-run adds them again. */
  withoutExternalId: number;
  seconds: number;
  /** The signal stopped the run: what was read but not yet sent was not loaded. */
  interrupted: boolean;
};

export type IngestOptions = {
  /** Documents per upsertDocuments call; capped at the deployment's maxBatchSize. */
  batchSize: number;
  /** Batches in flight at once: while one is written, the next is embedded. Default 2. */
  maxInFlight?: number;
  signal?: AbortSignal;
  onProgress?: (counts: IngestCounts) => void;
  /** Awaited in turn, so a rejects file is written in full before the run ends. */
  onReject?: (rejection: Rejection) => void | Promise<void>;
};

/**
 * Where batches go: the tenant's documents through the document service in this process
 * (serviceSink), or a running server's upsertDocuments (server-sink.ts). A document it refuses
 * throws an AppError BAD_USER_INPUT; anything else it throws stops the run.
 */
export type IngestSink = {
  /** Most documents one write takes. */
  maxBatchSize: number;
  /** The checks a document can fail before it is sent, so a bad one never costs its batch-mates. */
  validate(input: DocumentInput): void;
  write(inputs: DocumentInput[]): Promise<void>;
};

/** The tenant's documents in this process, through the API's own upsert. */
export function serviceSink(deps: ServiceDeps, tenant: Tenant): IngestSink {
  const limits = { maxBatchSize: 1, dimensions: deps.embedder.dimensions, metric: deps.metric };
  return {
    maxBatchSize: deps.maxBatchSize,
    validate: (input) => void validateDocumentBatch([input], limits),
    write: async (inputs) => void (await upsertDocuments(deps, createEmbeddingLoaders(deps.embedder), tenant, inputs)),
  };
}

type Pending = { line: number; input: DocumentInput; raw: unknown };
type Task = { ids: ReadonlySet<string>; done: Promise<void> };

/**
 * Loads a stream of documents into the tenant through the document service (the API's own upsert),
 * in batches with a bounded number in flight, so the embedder is not idle while a batch is written.
 * Invalid records are rejected one by one and the rest still load; any other error is fatal.
 */
export async function ingestDocuments(
  deps: ServiceDeps,
  tenant: Tenant,
  items: AsyncIterable<SourceItem>,
  options: IngestOptions,
): Promise<IngestResult> {
  return ingestInto(serviceSink(deps, tenant), items, options);
}

/** ingestDocuments into any sink: the same batching, ordering and rejections wherever batches go. */
export async function ingestInto(sink: IngestSink, items: AsyncIterable<SourceItem>, options: IngestOptions): Promise<IngestResult> {
  const batchSize = Math.max(1, Math.min(options.batchSize, sink.maxBatchSize));
  const maxInFlight = Math.max(1, options.maxInFlight ?? 2);
  const started = performance.now();
  const counts: IngestCounts = { read: 0, loaded: 0, rejected: 0 };
  let withoutExternalId = 0;
  let fatal: { error: unknown } | undefined;
  const running = new Set<Task>();
  // Rejections are written one after another, in the order they were found.
  let rejecting: Promise<void> = Promise.resolve();

  const reject = (rejection: Rejection) => {
    counts.rejected += 1;
    rejecting = rejecting.then(() => options.onReject?.(rejection));
    options.onProgress?.({ ...counts });
    return rejecting;
  };

  const write = async (docs: Pending[]) => {
    await sink.write(docs.map((doc) => doc.input));
    counts.loaded += docs.length;
    withoutExternalId += docs.filter((doc) => !doc.input.externalId).length;
  };

  const runBatch = async (docs: Pending[]) => {
    try {
      try {
        await write(docs);
      } catch (error) {
        // The service is all or nothing: find the documents it refuses by sending each alone.
        if (!isRejection(error)) throw error;
        for (const doc of docs) {
          if (fatal) return;
          await write([doc]).catch((single: unknown) => {
            if (!isRejection(single)) throw single;
            return reject({ line: doc.line, error: describe(single), input: doc.raw });
          });
        }
      }
      options.onProgress?.({ ...counts });
    } catch (error) {
      fatal ??= { error };
    }
  };

  const submit = async (docs: Pending[]) => {
    while (running.size >= maxInFlight) await Promise.race([...running].map((task) => task.done));
    // A document updated twice in the file must land in file order: wait for the earlier batch.
    const ids = new Set(docs.flatMap((doc) => (doc.input.externalId ? [doc.input.externalId] : [])));
    for (const task of [...running]) if ([...ids].some((id) => task.ids.has(id))) await task.done;
    if (fatal) return;
    const task: Task = { ids, done: runBatch(docs).finally(() => running.delete(task)) };
    running.add(task);
  };

  let batch: Pending[] = [];
  let batchIds = new Set<string>();
  let interrupted = false;
  try {
    for await (const item of items) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      counts.read += 1;
      if (item.kind === 'invalid') {
        await reject({ line: item.line, error: item.error, input: item.raw });
        continue;
      }
      // The service's own checks, per document: a bad one is named by its line and never
      // costs its batch-mates a round trip.
      try {
        sink.validate(item.input);
      } catch (error) {
        if (!isRejection(error)) throw error;
        await reject({ line: item.line, error: describe(error), input: item.raw });
        continue;
      }
      const id = item.input.externalId;
      if (id && batchIds.has(id)) {
        // One batch may not carry an external id twice; the later line goes in the next batch.
        await submit(batch);
        batch = [];
        batchIds = new Set();
      }
      batch.push({ line: item.line, input: item.input, raw: item.raw });
      if (id) batchIds.add(id);
      if (batch.length >= batchSize) {
        await submit(batch);
        batch = [];
        batchIds = new Set();
      }
      if (fatal) break;
    }
    if (!interrupted && !fatal && batch.length > 0) await submit(batch);
  } finally {
    // Even on a read error, let what is in flight finish so its outcome is counted.
    while (running.size > 0) await Promise.race([...running].map((task) => task.done));
    await rejecting;
  }
  if (fatal) throw fatal.error;
  return { ...counts, withoutExternalId, seconds: (performance.now() - started) / 1000, interrupted };
}

function isRejection(error: unknown): error is AppError {
  return error instanceof AppError && error.code === 'BAD_USER_INPUT';
}

// The service names fields within its batch ("documents[0].content"); a line has one document.
function describe(error: AppError): string {
  return error.message.replace(/^documents\[\d+\]\./, '');
}
