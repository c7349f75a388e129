import type { EmbeddingProvider } from '../../src/embeddings/embedding-provider.js';

/**
 * For benchmarks that send vectors only: the deployment's dimension without loading a model.
 * Any text embedding request is a bug in the benchmark, so it fails loudly.
 */
export function vectorOnlyEmbedder(dimensions: number): EmbeddingProvider {
  const refuse = async (): Promise<number[][]> => {
    throw new Error('this benchmark sends precomputed vectors only');
  };
  return { model: 'bench-vectors-only', dimensions, embedDocuments: refuse, embedQueries: refuse, close: async () => {} };
}
