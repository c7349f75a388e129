import { randomUUID } from 'node:crypto';
import { badUserInput } from '../errors.js';
import { DOCUMENT_LIMITS, type DocumentInput } from './document.js';

export type ValidDocumentInput = {
  externalId: string;
  content: string;
  metadata: Record<string, unknown>;
  embedding: readonly number[] | null;
};

/**
 * Checks a whole batch before anything is embedded or written, so a rejected batch costs nothing
 * and names the first offending field by its index.
 */
export function validateDocumentBatch(
  inputs: readonly DocumentInput[],
  limits: { maxBatchSize: number; dimensions: number },
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
    const earlier = seen.get(externalId);
    if (earlier !== undefined) {
      throw badUserInput(field('externalId'), `"${externalId}" also appears at documents[${earlier}]; send each document once`);
    }
    seen.set(externalId, index);
    return {
      externalId,
      content,
      metadata: validateMetadata(field('metadata'), input.metadata),
      embedding: input.embedding ? validateVector(field('embedding'), input.embedding, limits.dimensions) : null,
    };
  });
}

export function validateMetadata(field: string, value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badUserInput(field, 'must be a JSON object');
  return value as Record<string, unknown>;
}

export function validateVector(field: string, vector: readonly number[], dimensions: number): readonly number[] {
  if (vector.length !== dimensions) {
    throw badUserInput(field, `must have exactly ${dimensions} numbers (the embedding dimension), got ${vector.length}`);
  }
  if (!vector.every(Number.isFinite)) throw badUserInput(field, 'must contain only finite numbers');
  return vector;
}
