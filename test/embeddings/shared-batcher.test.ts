import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { EmbeddingProvider } from '../../src/embeddings/embedding-provider.js';
import { AppError } from '../../src/domain-errors.js';
import { withSharedBatching, type SharedBatch } from '../../src/embeddings/shared-batcher.js';

/** A fake embedder that records every call: a text becomes [its length, 1 for a query / 0 for a document]. */
function countingProvider(behaviour: { fail?: Error; dropOne?: boolean } = {}) {
  const calls: { kind: 'documents' | 'queries'; texts: string[] }[] = [];
  const embed = (kind: 'documents' | 'queries') => async (texts: readonly string[]) => {
    calls.push({ kind, texts: [...texts] });
    if (behaviour.fail) throw behaviour.fail;
    const vectors = texts.map((text) => [text.length, kind === 'queries' ? 1 : 0]);
    return behaviour.dropOne ? vectors.slice(1) : vectors;
  };
  const provider: EmbeddingProvider = {
    model: 'counting',
    dimensions: 2,
    embedDocuments: embed('documents'),
    embedQueries: embed('queries'),
    close: async () => {},
  };
  return { provider, calls };
}

const words = (n: number) => Array.from({ length: n }, (_, i) => 'w'.repeat(i + 1));

describe('withSharedBatching', () => {
  it('merges concurrent single-text calls into one provider call, each caller getting its own vector', async () => {
    const { provider, calls } = countingProvider();
    const batched = withSharedBatching(provider);
    const results = await Promise.all(words(10).map((word) => batched.embedQueries([word])));
    expect(calls).toEqual([{ kind: 'queries', texts: words(10) }]);
    expect(results).toEqual(words(10).map((word) => [[word.length, 1]]));
  });

  it('sends calls further apart than the window separately', async () => {
    const { provider, calls } = countingProvider();
    const batched = withSharedBatching(provider, { windowMs: 2 });
    const first = batched.embedQueries(['a']);
    await sleep(20);
    const second = batched.embedQueries(['bb']);
    expect(await Promise.all([first, second])).toEqual([[[1, 1]], [[2, 1]]]);
    expect(calls.map((call) => call.texts)).toEqual([['a'], ['bb']]);
  });

  it('keeps documents and queries in separate batches', async () => {
    const { provider, calls } = countingProvider();
    const batched = withSharedBatching(provider);
    const [documents, queries] = await Promise.all([batched.embedDocuments(['x']), batched.embedQueries(['x'])]);
    expect(documents).toEqual([[1, 0]]);
    expect(queries).toEqual([[1, 1]]);
    expect(calls).toEqual([
      { kind: 'documents', texts: ['x'] },
      { kind: 'queries', texts: ['x'] },
    ]);
  });

  it('sends no more than maxBatch texts per call, and one caller may span several calls', async () => {
    const { provider, calls } = countingProvider();
    const batches: SharedBatch[] = [];
    const batched = withSharedBatching(provider, { maxBatch: 4, onBatch: (batch) => batches.push(batch) });
    const [single, ...rest] = await Promise.all([
      batched.embedDocuments(words(6)),
      ...words(4).map((word) => batched.embedDocuments([`${word}!`])),
    ]);
    expect(calls.map((call) => call.texts)).toEqual([
      words(4),
      [...words(6).slice(4), 'w!', 'ww!'],
      ['www!', 'wwww!'],
    ]);
    expect(single!.map(([length]) => length)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rest.map((vectors) => vectors[0]![0])).toEqual([2, 3, 4, 5]);
    expect(batches.map(({ kind, size, callers, ok }) => ({ kind, size, callers, ok }))).toEqual([
      { kind: 'documents', size: 4, callers: 1, ok: true },
      { kind: 'documents', size: 4, callers: 3, ok: true },
      { kind: 'documents', size: 2, callers: 2, ok: true },
    ]);
  });

  it('embeds a text asked for by several callers in one window once, giving each a copy', async () => {
    const { provider, calls } = countingProvider();
    const batched = withSharedBatching(provider);
    const results = await Promise.all([
      batched.embedQueries(['same']),
      batched.embedQueries(['same', 'other']),
      batched.embedQueries(['same']),
    ]);
    expect(calls.map((call) => call.texts)).toEqual([['same', 'other']]);
    expect(results).toEqual([[[4, 1]], [[4, 1], [5, 1]], [[4, 1]]]);
    results[0]![0]![0] = 99;
    expect(results[2]![0]![0]).toBe(4);
  });

  it('rejects every caller of a failed batch with the provider error', async () => {
    const failure = new Error('model unavailable');
    const { provider, calls } = countingProvider({ fail: failure });
    const batches: SharedBatch[] = [];
    const batched = withSharedBatching(provider, { onBatch: (batch) => batches.push(batch) });
    const results = await Promise.allSettled(words(3).map((word) => batched.embedQueries([word])));
    expect(calls).toHaveLength(1);
    expect(results).toEqual(words(3).map(() => ({ status: 'rejected', reason: failure })));
    expect(results.every((result) => result.status === 'rejected' && result.reason === failure)).toBe(true);
    expect(batches.map((batch) => batch.ok)).toEqual([false]);
  });

  it("keeps one caller's bad text from failing the others in its batch", async () => {
    const calls: string[][] = [];
    const provider: EmbeddingProvider = {
      model: 'picky',
      dimensions: 1,
      embedDocuments: async () => [],
      embedQueries: async (texts) => {
        calls.push([...texts]);
        if (texts.includes('too long')) throw new AppError('BAD_USER_INPUT', 'query: too long for the model', 'query');
        return texts.map((text) => [text.length]);
      },
      close: async () => {},
    };
    const batched = withSharedBatching(provider, { windowMs: 5 });
    const [good, bad] = await Promise.allSettled([batched.embedQueries(['fine']), batched.embedQueries(['too long'])]);
    expect(good).toEqual({ status: 'fulfilled', value: [[4]] });
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'BAD_USER_INPUT' } });
    expect(calls).toEqual([['fine', 'too long'], ['fine'], ['too long']]);
  });

  it('rejects every caller when the provider returns the wrong number of vectors', async () => {
    const { provider } = countingProvider({ dropOne: true });
    const batched = withSharedBatching(provider);
    const results = await Promise.allSettled([batched.embedDocuments(['a']), batched.embedDocuments(['b', 'c'])]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect(String((result as PromiseRejectedResult).reason)).toMatch(/returned 2 vectors for 3 texts/);
    }
  });

  it('answers pending callers on close, then refuses new calls', async () => {
    const { provider } = countingProvider();
    const batched = withSharedBatching(provider, { windowMs: 10_000 });
    const pending = batched.embedQueries(['late']);
    await batched.close();
    expect(await pending).toEqual([[4, 1]]);
    await expect(batched.embedQueries(['after'])).rejects.toThrow(/closed/);
  });
});
