import { AppError } from '../domain-errors.js';
import type { EmbeddingProvider } from './embedding-provider.js';

export type EmbeddingKind = 'documents' | 'queries';

/** One provider call made by the batcher, reported once it settles. */
export type SharedBatch = {
  kind: EmbeddingKind;
  /** Distinct texts sent to the provider. */
  size: number;
  /** Calls that had at least one text in this batch. */
  callers: number;
  /** Time the provider took. */
  ms: number;
  ok: boolean;
};

export type SharedBatchingOptions = {
  /** How long the first pending text waits for others to join it; default 2 ms. */
  windowMs?: number;
  /** Most distinct texts in one provider call; a full batch is sent at once. Default 256. */
  maxBatch?: number;
  /** Called after every provider call (for metrics); it must not throw. */
  onBatch?: (batch: SharedBatch) => void;
};

type Waiter = { resolve: (vector: number[]) => void; reject: (error: unknown) => void };
type Batch = { texts: Map<string, Waiter[]>; callers: number; timer?: NodeJS.Timeout };

/**
 * Merges the embedding calls of concurrent requests (across tenants) into fewer, larger provider
 * calls: what per-request DataLoaders do within one request, done across requests. Documents and
 * queries queue separately because providers may embed them differently.
 */
export function withSharedBatching(
  provider: EmbeddingProvider,
  options: SharedBatchingOptions = {},
): EmbeddingProvider {
  const windowMs = options.windowMs ?? 2;
  const maxBatch = options.maxBatch ?? 256;
  if (!(windowMs >= 0)) throw new Error(`withSharedBatching: windowMs must be >= 0, got ${windowMs}`);
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new Error(`withSharedBatching: maxBatch must be a positive integer, got ${maxBatch}`);
  }
  const kinds = {
    documents: { embed: (texts: string[]) => provider.embedDocuments(texts), open: undefined as Batch | undefined },
    queries: { embed: (texts: string[]) => provider.embedQueries(texts), open: undefined as Batch | undefined },
  };
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  const flush = (kind: EmbeddingKind) => {
    const queue = kinds[kind];
    const batch = queue.open;
    if (!batch) return;
    queue.open = undefined;
    clearTimeout(batch.timer);
    const texts = [...batch.texts.keys()];
    const started = performance.now();
    const settled = Promise.resolve()
      .then(() => queue.embed(texts))
      .then(
        (vectors) => {
          if (!Array.isArray(vectors) || vectors.length !== texts.length) {
            throw new Error(
              `Embedding model ${provider.model} returned ${Array.isArray(vectors) ? vectors.length : 'no'} vectors ` +
                `for ${texts.length} texts`,
            );
          }
          texts.forEach((text, i) => {
            // Callers that asked for the same text get their own copies: none can alter another's.
            batch.texts.get(text)!.forEach((waiter, j) => waiter.resolve(j === 0 ? vectors[i]! : [...vectors[i]!]));
          });
          return true;
        },
      )
      .catch((error: unknown): boolean | Promise<boolean> => {
        // A caller's own bad text (too long for the model) must not fail the other requests that
        // happened to share its batch, perhaps another tenant's: embed each text alone instead.
        if (batch.callers > 1 && error instanceof AppError && error.code === 'BAD_USER_INPUT') {
          return Promise.all(texts.map((text) => embedAlone(queue.embed, text, batch.texts.get(text)!))).then(() => false);
        }
        // One provider call, one outcome: every caller in the batch sees the same error.
        for (const waiters of batch.texts.values()) for (const waiter of waiters) waiter.reject(error);
        return false;
      })
      .then((ok) => {
        try {
          options.onBatch?.({ kind, size: texts.length, callers: batch.callers, ms: performance.now() - started, ok });
        } catch {
          // Metrics must never fail or hang an embedding call.
        }
      });
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
  };

  const embedAlone = async (embedBatch: (texts: string[]) => Promise<number[][]>, text: string, waiters: Waiter[]) => {
    try {
      const [vector] = await embedBatch([text]);
      if (!vector) throw new Error(`Embedding model ${provider.model} returned no vector for 1 text`);
      waiters.forEach((waiter, j) => waiter.resolve(j === 0 ? vector : [...vector]));
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    }
  };

  const embed = (kind: EmbeddingKind, texts: readonly string[]): Promise<number[][]> => {
    if (closed) return Promise.reject(new Error(`Embedding model ${provider.model} is closed`));
    if (texts.length === 0) return Promise.resolve([]);
    const queue = kinds[kind];
    const vectors: Promise<number[]>[] = [];
    let joined: Batch | undefined;
    for (const text of texts) {
      let batch = queue.open;
      if (!batch) {
        batch = { texts: new Map(), callers: 0 };
        batch.timer = setTimeout(() => flush(kind), windowMs);
        queue.open = batch;
      }
      if (joined !== batch) {
        batch.callers++;
        joined = batch;
      }
      let waiters = batch.texts.get(text);
      if (!waiters) {
        waiters = [];
        batch.texts.set(text, waiters);
      }
      const target = waiters;
      vectors.push(new Promise((resolve, reject) => target.push({ resolve, reject })));
      if (batch.texts.size >= maxBatch) flush(kind);
    }
    return Promise.all(vectors);
  };

  return {
    get model() {
      return provider.model;
    },
    get dimensions() {
      return provider.dimensions;
    },
    embedDocuments: (texts) => embed('documents', texts),
    embedQueries: (texts) => embed('queries', texts),
    async close() {
      if (closed) return;
      closed = true;
      // Pending callers get their answers before the provider goes away.
      flush('documents');
      flush('queries');
      await Promise.all(inFlight);
      await provider.close();
    },
  };
}
