import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { EmbeddingProvider } from '../../src/embeddings/embedding-provider.js';

/**
 * Wraps an embedder with a JSON file cache keyed by model and text, so a benchmark re-run skips
 * minutes of embedding (the model is deterministic). Only for benchmarks: the server has its own.
 */
export async function withEmbeddingCache(inner: EmbeddingProvider, file: string) {
  const cache = new Map<string, number[]>(
    Object.entries(JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as Record<string, number[]>),
  );
  const key = (text: string) => createHash('sha256').update(`${inner.model}\n${text}`).digest('hex');
  const cached = (embed: (texts: readonly string[]) => Promise<number[][]>) => async (texts: readonly string[]) => {
    const missing = [...new Set(texts.filter((text) => !cache.has(key(text))))];
    if (missing.length > 0) (await embed(missing)).forEach((vector, i) => cache.set(key(missing[i] as string), vector));
    return texts.map((text) => cache.get(key(text)) as number[]);
  };
  const provider: EmbeddingProvider = {
    model: inner.model,
    dimensions: inner.dimensions,
    embedDocuments: cached((texts) => inner.embedDocuments(texts)),
    embedQueries: cached((texts) => inner.embedQueries(texts)),
    close: () => inner.close(),
  };
  return { provider, save: () => writeFile(file, JSON.stringify(Object.fromEntries(cache))) };
}
