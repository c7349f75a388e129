import { createHash } from 'node:crypto';
import type { EmbeddingProvider } from '../../src/embeddings/embedding-provider.js';

/**
 * A deterministic bag-of-words embedder for tests: texts sharing words are close, so rankings are
 * predictable, and every call is recorded so tests can count provider round trips.
 */
export function createHashingEmbedder(dimensions = 512) {
  const calls: string[][] = [];
  const embed = async (texts: readonly string[]) => {
    calls.push([...texts]);
    return texts.map((text) => embedText(text, dimensions));
  };
  const provider: EmbeddingProvider = {
    model: 'test-hashing',
    dimensions,
    embedDocuments: embed,
    embedQueries: embed,
    close: async () => {},
  };
  return { provider, calls };
}

export function embedText(text: string, dimensions = 512): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    const hash = createHash('sha256').update(word).digest();
    vector[hash.readUInt32BE(0) % dimensions]! += 1;
    vector[hash.readUInt32BE(4) % dimensions]! += 0.5;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}
