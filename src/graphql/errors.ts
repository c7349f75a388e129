import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { AppError } from '../errors.js';

/**
 * Turns a resolver's failure into what the client sees: AppErrors keep their code and message,
 * argument validation becomes BAD_USER_INPUT, and anything else is masked so database messages
 * never reach clients.
 */
export function toClientError(error: unknown): Error {
  if (!(error instanceof GraphQLError)) return masked();
  const original = error.originalError;
  const location = { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path };
  if (original instanceof AppError) {
    return new GraphQLError(original.message, {
      ...location,
      extensions: { code: original.code, ...(original.field ? { field: original.field } : {}) },
    });
  }
  if (original instanceof PothosValidationError || error instanceof PothosValidationError) {
    return new GraphQLError((original ?? error).message, { ...location, extensions: { code: 'BAD_USER_INPUT' } });
  }
  // Errors graphql-js raised itself (parse, validation, variable coercion) describe the request.
  if (original === undefined || original === null || original instanceof GraphQLError) return error;
  return masked(location);
}

/** Whether an error is an outcome the client caused and was told about: not worth a log line. */
export function isExpectedError(error: unknown): boolean {
  const original = error instanceof GraphQLError ? error.originalError : error;
  return original instanceof AppError || original instanceof PothosValidationError;
}

function masked(location = {}): GraphQLError {
  return new GraphQLError('Unexpected error.', { ...location, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}
