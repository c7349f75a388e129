import { describe, expect, it } from 'vitest';
import type { EmbeddingProvider } from '../../src/embeddings/embedding-provider.js';
import { withQueryCache } from '../../src/embeddings/query-cache.js';
import { withSharedBatching } from '../../src/embeddings/shared-batcher.js';

/** A fake embedder that records every call: a text becomes [its length, the call's number]. */
function countingProvider() {
  const calls: { kind: 'documents' | 'queries'; texts: string[] }[] = [];
  const failures: Error[] = [];
  const embed = (kind: 'documents' | 'queries') => async (texts: readonly string[]) => {
    calls.push({ kind, texts: [...texts] });
    const failure = failures.shift();
    if (failure) throw failure;
    return texts.map((text) => [text.length, calls.length]);
  };
  const provider: EmbeddingProvider & { model: string } = {
    model: 'model-a',
    dimensions: 2,
    embedDocuments: embed('documents'),
    embedQueries: embed('queries'),
    close: async () => {},
  };
  return { provider, calls, failures };
}

const queried = (calls: { kind: string; texts: string[] }[]) =>
  calls.filter((call) => call.kind === 'queries').map((call) => call.texts);

describe('withQueryCache', () => {
  it('serves repeated queries without calling the provider, sending only the misses in one call', async () => {
    const { provider, calls } = countingProvider();
    const cached = withQueryCache(provider);
    expect(await cached.embedQueries(['aa', 'b'])).toEqual([
      [2, 1],
      [1, 1],
    ]);
    expect(await cached.embedQueries(['b', 'ccc', 'aa', 'ccc'])).toEqual([
      [1, 1],
      [3, 2],
      [2, 1],
      [3, 2],
    ]);
    expect(await cached.embedQueries(['ccc'])).toEqual([[3, 2]]);
    expect(queried(calls)).toEqual([['aa', 'b'], ['ccc']]);
    expect(cached.stats()).toEqual({ hits: 3, joined: 0, misses: 3, size: 3 });
  });

  it('evicts the least recently used query first', async () => {
    const { provider, calls } = countingProvider();
    const cached = withQueryCache(provider, { maxEntries: 2 });
    await cached.embedQueries(['a']);
    await cached.embedQueries(['b']);
    await cached.embedQueries(['a']); // a is now more recent than b
    await cached.embedQueries(['c']); // evicts b
    await cached.embedQueries(['a']);
    await cached.embedQueries(['b']);
    expect(queried(calls)).toEqual([['a'], ['b'], ['c'], ['b']]);
    expect(cached.stats().size).toBe(2);
  });

  it('keys vectors by model, so a new model never serves the old model vectors', async () => {
    const { provider, calls } = countingProvider();
    const cached = withQueryCache(provider);
    await cached.embedQueries(['q']);
    provider.model = 'model-b';
    await cached.embedQueries(['q']);
    await cached.embedQueries(['q']);
    expect(queried(calls)).toEqual([['q'], ['q']]);
    expect(cached.model).toBe('model-b');
  });

  it('does not cache a failure: the next request tries the provider again', async () => {
    const { provider, calls, failures } = countingProvider();
    failures.push(new Error('model unavailable'));
    const cached = withQueryCache(provider);
    await expect(cached.embedQueries(['q'])).rejects.toThrow('model unavailable');
    expect(await cached.embedQueries(['q'])).toEqual([[1, 2]]);
    expect(queried(calls)).toEqual([['q'], ['q']]);
  });

  it('lets concurrent identical misses share one provider call', async () => {
    const { provider, calls } = countingProvider();
    const cached = withQueryCache(provider);
    const results = await Promise.all([cached.embedQueries(['q']), cached.embedQueries(['q'])]);
    expect(results).toEqual([[[1, 1]], [[1, 1]]]);
    expect(queried(calls)).toEqual([['q']]);
    expect(cached.stats()).toMatchObject({ hits: 0, joined: 1, misses: 1 });
  });

  it('hands out copies: changing a result does not change the cached vector', async () => {
    const { provider } = countingProvider();
    const cached = withQueryCache(provider);
    const [first] = await cached.embedQueries(['q']);
    first![0] = 99;
    expect(await cached.embedQueries(['q'])).toEqual([[1, 1]]);
  });

  it('passes documents through uncached, and caches nothing when maxEntries is 0', async () => {
    const { provider, calls } = countingProvider();
    const cached = withQueryCache(provider);
    await cached.embedDocuments(['d']);
    await cached.embedDocuments(['d']);
    expect(calls.filter((call) => call.kind === 'documents')).toHaveLength(2);

    const off = countingProvider();
    const uncached = withQueryCache(off.provider, { maxEntries: 0 });
    await uncached.embedQueries(['q']);
    await uncached.embedQueries(['q']);
    expect(queried(off.calls)).toEqual([['q'], ['q']]);
    expect(uncached.stats().size).toBe(0);
  });

  it('composes over withSharedBatching: concurrent misses merge into one call, repeats make none', async () => {
    const { provider, calls } = countingProvider();
    const embedder = withQueryCache(withSharedBatching(provider));
    const first = await Promise.all([
      embedder.embedQueries(['a', 'bb']),
      embedder.embedQueries(['bb', 'ccc']),
      embedder.embedQueries(['a']),
    ]);
    expect(first).toEqual([[[1, 1], [2, 1]], [[2, 1], [3, 1]], [[1, 1]]]);
    expect(queried(calls)).toEqual([['a', 'bb', 'ccc']]);

    const again = await Promise.all([embedder.embedQueries(['ccc', 'a']), embedder.embedQueries(['bb'])]);
    expect(again).toEqual([[[3, 1], [1, 1]], [[2, 1]]]);
    expect(queried(calls)).toHaveLength(1);
    expect(embedder.stats()).toEqual({ hits: 3, joined: 2, misses: 3, size: 3 });
  });
});
