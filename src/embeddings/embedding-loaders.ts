import DataLoader from 'dataloader';
import { AppError } from '../domain-errors.js';
import type { EmbeddingProvider } from './embedding-provider.js';

export type EmbeddingLoaders = {
  documents: DataLoader<string, number[]>;
  queries: DataLoader<string, number[]>;
};

/**
 * Per-request loaders: every embedding call of one request (five aliased searches, a batch of
 * documents) is collected in one tick and sent to the provider as one call.
 */
export function createEmbeddingLoaders(provider: EmbeddingProvider): EmbeddingLoaders {
  const loader = (embed: (texts: readonly string[]) => Promise<number[][]>) =>
    new DataLoader<string, number[]>(async (texts) => {
      const vectors = await embedOrFail(embed, texts);
      if (vectors.length !== texts.length || vectors.some((v) => v.length !== provider.dimensions)) {
        throw new AppError(
          'EMBEDDING_UNAVAILABLE',
          `Embedding model ${provider.model} returned ${vectors.length} vectors for ${texts.length} texts ` +
            `or a vector whose length is not ${provider.dimensions}`,
        );
      }
      return vectors;
    });
  // Made on first use: most requests (a search by vector, a listing) never embed.
  let documents: DataLoader<string, number[]> | undefined;
  let queries: DataLoader<string, number[]> | undefined;
  return {
    get documents() {
      return (documents ??= loader((texts) => provider.embedDocuments(texts)));
    },
    get queries() {
      return (queries ??= loader((texts) => provider.embedQueries(texts)));
    },
  };
}

async function embedOrFail(
  embed: (texts: readonly string[]) => Promise<number[][]>,
  texts: readonly string[],
): Promise<number[][]> {
  try {
    return await embed(texts);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('EMBEDDING_UNAVAILABLE', 'The embedding model could not embed the request', undefined, {
      cause: error,
    });
  }
}
