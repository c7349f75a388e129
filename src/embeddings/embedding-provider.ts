/**
 * What Narwhal needs from an embedding model. Documents and queries are separate calls because
 * some models embed them differently (instruction prefixes, asymmetric encoders).
 */
export type EmbeddingProvider = {
  /** Recorded on every document it embeds, so a model change can be detected and re-embedded. */
  readonly model: string;
  readonly dimensions: number;
  embedDocuments(texts: readonly string[]): Promise<number[][]>;
  embedQueries(texts: readonly string[]): Promise<number[][]>;
  close(): Promise<void>;
};
