import { randomUUID } from 'node:crypto';
import type { DistanceMetric } from '../db/vector.js';
import { badUserInput } from '../domain-errors.js';
import { DOCUMENT_LIMITS, type DocumentInput } from './document.js';

export type ValidDocumentInput = {
  externalId: string;
  content: string;
  metadata: Record<string, unknown>;
  embedding: readonly number[] | null;
  embeddingModel: string | null;
  expiresAt: Date | null;
};

/**
 * Checks a whole batch before anything is embedded or written, so a rejected batch costs nothing
 * and names the first offending field by its index.
 */
export function validateDocumentBatch(
  inputs: readonly DocumentInput[],
  limits: { maxBatchSize: number; dimensions: number; metric: DistanceMetric },
  now = Date.now(),
): ValidDocumentInput[] {
  if (inputs.length === 0) throw badUserInput('documents', 'must contain at least 1 document');
  if (inputs.length > limits.maxBatchSize) {
    throw badUserInput('documents', `must contain at most ${limits.maxBatchSize} documents, got ${inputs.length}`);
  }
  const seen = new Map<string, number>();
  return inputs.map((input, index) => {
    const field = (name: string) => `documents[${index}].${name}`;
    const content = input.content;
    if (content.trim() === '') throw badUserInput(field('content'), 'must not be empty');
    if (content.includes('\u0000')) throw badUserInput(field('content'), 'must not contain NUL characters');
    if (content.length > DOCUMENT_LIMITS.contentLength) {
      throw badUserInput(field('content'), `must be at most ${DOCUMENT_LIMITS.contentLength} characters`);
    }
    const externalId = input.externalId ?? randomUUID();
    if (externalId.length === 0 || externalId.length > DOCUMENT_LIMITS.externalIdLength) {
      throw badUserInput(field('externalId'), `must be 1-${DOCUMENT_LIMITS.externalIdLength} characters`);
    }
    // The GraphQL layer refuses NUL in any argument; the ingest CLI comes here directly.
    if (externalId.includes('\u0000')) throw badUserInput(field('externalId'), 'must not contain NUL (U+0000) characters');
    const earlier = seen.get(externalId);
    if (earlier !== undefined) {
      throw badUserInput(field('externalId'), `"${externalId}" also appears at documents[${earlier}]; send each document once`);
    }
    seen.set(externalId, index);
    return {
      externalId,
      content,
      metadata: validateMetadata(field('metadata'), input.metadata),
      embedding: input.embedding ? validateVector(field('embedding'), input.embedding, limits.dimensions, limits.metric) : null,
      embeddingModel: validateEmbeddingModel(field('embeddingModel'), input),
      expiresAt: validateExpiresAt(field('expiresAt'), input.expiresAt, now),
    };
  });
}

/**
 * A moment already past is refused rather than stored as expired on arrival: a document written
 * only to vanish is almost surely a clock or unit mistake (seconds for milliseconds) the client
 * wants to hear about. No upper bound: a far future is as good as never.
 */
export function validateExpiresAt(field: string, value: Date | null | undefined, now: number): Date | null {
  if (value === null || value === undefined) return null;
  if (Number.isNaN(value.getTime())) throw badUserInput(field, 'must be a valid date-time');
  if (value.getTime() <= now) {
    throw badUserInput(field, `must be in the future (the server's time is ${new Date(now).toISOString()}), got ${value.toISOString()}`);
  }
  return value;
}

export function validateMetadata(field: string, value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badUserInput(field, 'must be a JSON object');
  return value as Record<string, unknown>;
}

/**
 * The largest magnitude a vector value may have. pgvector stores float4 and sums squares and
 * products in float4 (max 3.4e38): below this bound every distance between two accepted vectors
 * of up to 16,000 dimensions stays finite; above it (1e39 is not even a float4) a distance can be
 * infinite or NaN, which no client can use.
 */
export const VECTOR_VALUE_LIMIT = 1e15;

export function validateVector(
  field: string,
  vector: readonly number[],
  dimensions: number,
  metric: DistanceMetric,
): readonly number[] {
  if (vector.length !== dimensions) {
    throw badUserInput(field, `must have exactly ${dimensions} numbers (the embedding dimension), got ${vector.length}`);
  }
  const outOfRange = vector.findIndex((value) => !(Math.abs(value) <= VECTOR_VALUE_LIMIT));
  if (outOfRange !== -1) {
    throw badUserInput(field, `values must be finite numbers from -${VECTOR_VALUE_LIMIT} to ${VECTOR_VALUE_LIMIT}, got ${vector[outOfRange]} at [${outOfRange}]`);
  }
  // A zero vector has no direction: its cosine distance to anything is NaN. pgvector computes the
  // norm in float4, so values that round to zero there (1e-46), or whose squares do, count as zero.
  if (metric === 'cosine' && float4SquaredNorm(vector) === 0) {
    throw badUserInput(
      field,
      'must not be a zero vector: under the cosine metric it has no direction (values so small that their squares round to 0 in float32 count as zero)',
    );
  }
  return vector;
}

function float4SquaredNorm(vector: readonly number[]): number {
  let norm = 0;
  for (const value of vector) {
    const single = Math.fround(value);
    norm = Math.fround(norm + Math.fround(single * single));
  }
  return norm;
}

export const EMBEDDING_MODEL_MAX_LENGTH = 200;

/**
 * The model a precomputed vector came from: only with `embedding` (a label without a vector would
 * mislabel what the deployment embeds). Restoring an archive keeps each document's recorded model,
 * so reembedTenant later tells which vectors are current exactly as it did before the export.
 */
function validateEmbeddingModel(field: string, input: DocumentInput): string | null {
  const model = input.embeddingModel;
  if (model === null || model === undefined) return null;
  if (!input.embedding) throw badUserInput(field, 'is only accepted with `embedding` (the vector that model computed)');
  if (model.trim() === '' || model.length > EMBEDDING_MODEL_MAX_LENGTH) {
    throw badUserInput(field, `must be 1-${EMBEDDING_MODEL_MAX_LENGTH} characters, not blank`);
  }
  return model;
}
