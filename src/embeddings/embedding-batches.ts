import { AppError } from '../domain-errors.js';

export type BatchLimits = {
  /** Inputs per request (OpenAI: 2048). */
  maxInputs: number;
  /** Estimated tokens per request, summed over its inputs (OpenAI: 300 000). */
  maxTokens: number;
};

/** A run of consecutive inputs sent as one request; `start` is the first one's index. */
export type EmbeddingBatch = { start: number; texts: string[] };

/**
 * Token count without a tokenizer (which would be a dependency and model-specific). BPE
 * tokenizers of OpenAI-style models average about 4 UTF-8 bytes per token in English and other
 * Latin-script prose, and about one token per 3-byte CJK character, so bytes / 3 over-estimates
 * ordinary text and batches stay under the server's budget. Dense text (random symbols, base64)
 * can still tokenize tighter; the provider splits a batch the server rejects as too large.
 */
function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 3);
}

/**
 * Greedily packs consecutive inputs into batches within both limits, keeping input order so
 * results can be concatenated back. A single input over the token budget can never be sent: that
 * is the caller's text, so it is BAD_USER_INPUT naming the limit.
 */
export function splitIntoBatches(texts: readonly string[], limits: BatchLimits, model: string): EmbeddingBatch[] {
  const batches: EmbeddingBatch[] = [];
  let current: EmbeddingBatch | undefined;
  let currentTokens = 0;
  texts.forEach((text, index) => {
    const tokens = estimateTokens(text);
    if (tokens > limits.maxTokens) {
      throw new AppError(
        'BAD_USER_INPUT',
        `Text ${index} is about ${tokens} tokens (estimated as UTF-8 bytes / 3), more than the ` +
          `${limits.maxTokens}-token request limit of embedding model ${model}; split it into smaller texts`,
      );
    }
    if (!current || current.texts.length >= limits.maxInputs || currentTokens + tokens > limits.maxTokens) {
      current = { start: index, texts: [] };
      currentTokens = 0;
      batches.push(current);
    }
    current.texts.push(text);
    currentTokens += tokens;
  });
  return batches;
}
