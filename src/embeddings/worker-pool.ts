import { Worker } from 'node:worker_threads';

/**
 * The embedding worker protocol: the worker posts `{ ready: true }` once its model is loaded, then
 * answers each `{ id, texts }` with `{ id, vectors }` or `{ id, error }`.
 */
type WorkerRequest = { id: number; texts: string[] };
type WorkerMessage = { ready: true } | { id: number; vectors: number[][] } | { id: number; error: string };

/** Queries jump ahead of queued document chunks: a search should not wait behind a bulk ingest. */
export type EmbeddingPriority = 'query' | 'document';

export type EmbeddingWorkerPoolOptions = {
  /** Names the model in error messages. */
  label: string;
  /** Number of worker threads, each with its own copy of the model. */
  size: number;
  spawn: () => Worker;
  /** A call with more texts than this is split into chunks of at most this many, spread over the workers. */
  chunkSize?: number;
};

export type EmbeddingWorkerPool = {
  readonly size: number;
  embed(texts: readonly string[], priority: EmbeddingPriority): Promise<number[][]>;
  close(): Promise<void>;
};

type Call = { failed: boolean };
type Chunk = {
  call: Call;
  texts: string[];
  resolve: (vectors: number[][]) => void;
  reject: (error: Error) => void;
};
type Slot = { worker: Worker; ready: boolean; job?: { id: number; chunk: Chunk } };

const DEFAULT_CHUNK_SIZE = 16;
const RESTART_DELAY_MS = { first: 500, max: 30_000 };

/**
 * Starts `size` embedding workers in parallel and resolves once every one has loaded its model.
 * Chunks wait in one queue on this thread and go to whichever worker is idle, so the least-busy
 * worker always takes the next one and a slow chunk never holds up work another worker could do.
 * A worker that dies fails only the chunk it was running and is replaced.
 */
export async function startEmbeddingWorkerPool(options: EmbeddingWorkerPoolOptions): Promise<EmbeddingWorkerPool> {
  const { label, size, spawn } = options;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(size) || size < 1) {
    throw new Error(`${label}: worker count must be a positive integer, got ${size}`);
  }
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`${label}: chunkSize must be a positive integer`);

  const queues: Record<EmbeddingPriority, Chunk[]> = { query: [], document: [] };
  const restartTimers = new Set<NodeJS.Timeout>();
  let nextId = 0;
  let closed = false;
  let restartDelay = RESTART_DELAY_MS.first;
  const slots: Slot[] = [];

  const startSlot = (slot: Slot | undefined): Promise<Slot> =>
    new Promise((resolve, reject) => {
      const worker = spawn();
      const current: Slot = slot ?? { worker, ready: false };
      if (!slot) slots.push(current);
      current.worker = worker;
      current.ready = false;
      let started = false;
      let dead = false;
      worker.on('message', (message: WorkerMessage) => {
        if ('ready' in message) {
          started = true;
          current.ready = true;
          restartDelay = RESTART_DELAY_MS.first;
          resolve(current);
          pump();
          return;
        }
        const job = current.job;
        if (!job || job.id !== message.id) return;
        current.job = undefined;
        if ('error' in message) fail(job.chunk, new Error(`${label} failed: ${message.error}`));
        else job.chunk.resolve(message.vectors);
        pump();
      });
      const died = (reason: string) => {
        if (dead || current.worker !== worker || closed) return;
        dead = true;
        current.ready = false;
        const job = current.job;
        current.job = undefined;
        const error = new Error(`${label} worker ${started ? 'died' : 'did not start'}: ${reason}`);
        if (job) fail(job.chunk, error);
        void worker.terminate();
        if (!started) reject(error);
        // Only a worker that was serving is replaced here; startup failures are retried by the caller.
        if (started) replace(current);
      };
      worker.on('error', (error) => died(error.message));
      worker.on('exit', (code) => died(`exited with code ${code}`));
    });

  const replace = (slot: Slot) => {
    startSlot(slot).catch((error: Error) => {
      if (closed) return;
      // With no worker able to take queued chunks, fail them now rather than leave callers hanging.
      if (!slots.some((s) => s.ready)) rejectQueued(error);
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (!closed) replace(slot);
      }, restartDelay);
      timer.unref();
      restartTimers.add(timer);
      restartDelay = Math.min(restartDelay * 2, RESTART_DELAY_MS.max);
    });
  };

  const fail = (chunk: Chunk, error: Error) => {
    // The call's other chunks still queued are skipped: their caller already has its answer.
    chunk.call.failed = true;
    chunk.reject(error);
  };

  const rejectQueued = (error: Error) => {
    for (const queue of Object.values(queues)) for (const chunk of queue.splice(0)) fail(chunk, error);
  };

  const nextChunk = (): Chunk | undefined => {
    for (const queue of [queues.query, queues.document]) {
      while (queue.length > 0) {
        const chunk = queue.shift()!;
        if (!chunk.call.failed) return chunk;
      }
    }
    return undefined;
  };

  const pump = () => {
    for (const slot of slots) {
      if (!slot.ready || slot.job) continue;
      const chunk = nextChunk();
      if (!chunk) return;
      const id = nextId++;
      slot.job = { id, chunk };
      slot.worker.postMessage({ id, texts: chunk.texts } satisfies WorkerRequest);
    }
  };

  const results = await Promise.allSettled(Array.from({ length: size }, () => startSlot(undefined)));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    closed = true;
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    throw failure.reason;
  }

  return {
    size,
    embed(texts, priority) {
      if (closed) return Promise.reject(new Error(`${label} is closed`));
      if (texts.length === 0) return Promise.resolve([]);
      const call: Call = { failed: false };
      const parts = Math.ceil(texts.length / chunkSize);
      // Equal parts (33 texts -> 17 + 16, not 32 + 1) so the workers finish together.
      const per = Math.ceil(texts.length / parts);
      const chunks: Promise<number[][]>[] = [];
      for (let start = 0; start < texts.length; start += per) {
        chunks.push(
          new Promise((resolve, reject) => {
            queues[priority].push({ call, texts: texts.slice(start, start + per), resolve, reject });
          }),
        );
      }
      pump();
      return Promise.all(chunks).then((parts) => parts.flat());
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of restartTimers) clearTimeout(timer);
      const error = new Error(`${label} is closed`);
      rejectQueued(error);
      for (const slot of slots) {
        if (slot.job) fail(slot.job.chunk, error);
        slot.job = undefined;
        slot.ready = false;
      }
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
