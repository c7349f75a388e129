import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddingProvider } from '../../src/embeddings/embedding-provider.js';
import { startUniversalSentenceEncoder } from '../../src/embeddings/universal-sentence-encoder.provider.js';

let provider: EmbeddingProvider;
beforeAll(async () => {
  provider = await startUniversalSentenceEncoder();
});
afterAll(async () => {
  await provider.close();
});

const cosine = (a: number[], b: number[]) => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return dot / Math.sqrt(na * nb);
};

describe('Universal Sentence Encoder (offline default)', () => {
  it('embeds texts into 512 numbers each, from the weights shipped in the package', async () => {
    const vectors = await provider.embedDocuments(['hello world', 'a second text']);
    expect(provider.dimensions).toBe(512);
    expect(vectors).toHaveLength(2);
    expect(vectors.every((v) => v.length === 512 && v.every(Number.isFinite))).toBe(true);
  });

  it('places texts of similar meaning closer than unrelated ones', async () => {
    const [query, pet, finance] = await provider.embedQueries([
      'my kitten likes to nap',
      'the cat is sleeping on the sofa',
      'interest rates rose after the central bank meeting',
    ]);
    expect(cosine(query!, pet!)).toBeGreaterThan(cosine(query!, finance!) + 0.1);
  });

  it('keeps the event loop free while it embeds (runs in a worker thread)', async () => {
    const texts = Array.from({ length: 200 }, (_, i) => `sentence number ${i} about a topic`);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await provider.embedDocuments(texts);
    clearInterval(timer);
    // If the model ran on this thread the timer could not fire until it finished.
    expect(ticks).toBeGreaterThan(5);
  });

  it('rejects an empty text instead of embedding it', async () => {
    await expect(provider.embedDocuments(['fine', ' '])).rejects.toThrow(/empty text/);
  });
});

describe('Universal Sentence Encoder worker pool', () => {
  let one: EmbeddingProvider;
  let two: EmbeddingProvider;
  beforeAll(async () => {
    [one, two] = await Promise.all([
      startUniversalSentenceEncoder({ workers: 1 }),
      startUniversalSentenceEncoder({ workers: 2 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
  });

  const texts = Array.from(
    { length: 64 },
    (_, i) => `document ${i}: ${['tenants search', 'vectors in postgres', 'a cat on a mat', 'rates and bonds'][i % 4]}`,
  );
  const expectSameVectors = (actual: number[][], expected: number[][]) => {
    expect(actual).toHaveLength(expected.length);
    const worst = Math.max(...actual.flatMap((vector, i) => vector.map((x, j) => Math.abs(x - expected[i]![j]!))));
    expect(worst).toBeLessThan(1e-5);
  };

  it('embeds a bulk batch across two workers into the same vectors, in order, as one text at a time', async () => {
    const [batched, single] = await Promise.all([
      two.embedDocuments(texts),
      Promise.all(texts.map((text) => one.embedDocuments([text]).then(([vector]) => vector!))),
    ]);
    expectSameVectors(batched, single);
  });

  it('gives the same vectors with one worker as with two', async () => {
    const [withOne, withTwo] = await Promise.all([one.embedQueries(texts), two.embedQueries(texts)]);
    expectSameVectors(withTwo, withOne);
  });

  it('rejects calls once closed', async () => {
    const provider = await startUniversalSentenceEncoder({ workers: 1 });
    await provider.close();
    await expect(provider.embedQueries(['hello'])).rejects.toThrow(/closed/);
  });
});
