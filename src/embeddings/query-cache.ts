import type { EmbeddingProvider } from './embedding-provider.js';

export type QueryCacheOptions = {
  /** Most query vectors kept (about 2 KB each at 512 dimensions); 0 turns the cache off. Default 10,000. */
  maxEntries?: number;
};

export type QueryCacheStats = {
  /** Texts answered from the cache. */
  hits: number;
  /** Texts answered by joining an identical miss already on its way to the provider. */
  joined: number;
  /** Texts sent to the provider. */
  misses: number;
  /** Vectors held now. */
  size: number;
};

export type CachedEmbeddingProvider = EmbeddingProvider & { stats(): QueryCacheStats };

/**
 * Serves repeated search queries from an in-memory LRU so a popular query costs one model call,
 * not one per request. Document embeddings pass through: they are embedded once and stored.
 * Keys include the model name, so a provider that changes model never serves stale vectors.
 */
export function withQueryCache(provider: EmbeddingProvider, options: QueryCacheOptions = {}): CachedEmbeddingProvider {
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 0) {
    throw new Error(`withQueryCache: maxEntries must be a non-negative integer, got ${maxEntries}`);
  }
  // Map keeps insertion order: re-inserting on a hit makes the first key the least recently used.
  // Vectors are kept as float32, the precision pgvector stores, which halves their memory.
  const cache = new Map<string, Float32Array>();
  const pending = new Map<string, Promise<Float32Array>>();
  const counts = { hits: 0, joined: 0, misses: 0 };

  const remember = (key: string, vector: Float32Array) => {
    cache.set(key, vector);
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
  };

  const embedQueries = async (texts: readonly string[]): Promise<number[][]> => {
    if (maxEntries === 0) {
      counts.misses += texts.length;
      return provider.embedQueries(texts);
    }
    const prefix = `${provider.model}\u0000`;
    const found = new Map<string, Float32Array | Promise<Float32Array>>();
    const missing: string[] = [];
    for (const text of new Set(texts)) {
      const key = prefix + text;
      const cached = cache.get(key);
      if (cached) {
        cache.delete(key);
        cache.set(key, cached);
        counts.hits++;
        found.set(key, cached);
        continue;
      }
      const inFlight = pending.get(key);
      if (inFlight) {
        counts.joined++;
        found.set(key, inFlight);
        continue;
      }
      missing.push(text);
    }

    if (missing.length > 0) {
      counts.misses += missing.length;
      const call = provider.embedQueries(missing).then((vectors) => {
        if (vectors.length !== missing.length) {
          throw new Error(
            `Embedding model ${provider.model} returned ${vectors.length} vectors for ${missing.length} texts`,
          );
        }
        return vectors.map((vector) => Float32Array.from(vector));
      });
      missing.forEach((text, i) => {
        const key = prefix + text;
        const vector = call.then((vectors) => vectors[i]!);
        // Failures are not cached: the next request for this text tries the provider again.
        vector.then(
          (value) => {
            if (pending.get(key) === vector) pending.delete(key);
            remember(key, value);
          },
          () => {
            if (pending.get(key) === vector) pending.delete(key);
          },
        );
        pending.set(key, vector);
        found.set(key, vector);
      });
    }

    const vectors = await Promise.all(texts.map((text) => found.get(prefix + text)!));
    // Each caller gets its own plain arrays: the cached copy cannot be altered through a result.
    return vectors.map((vector) => Array.from(vector));
  };

  return {
    get model() {
      return provider.model;
    },
    get dimensions() {
      return provider.dimensions;
    },
    embedDocuments: (texts) => provider.embedDocuments(texts),
    embedQueries,
    stats: () => ({ ...counts, size: cache.size }),
    async close() {
      cache.clear();
      await provider.close();
    },
  };
}
