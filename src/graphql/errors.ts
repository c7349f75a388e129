import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { AppError } from '../errors.js';

/**
 * Turns a resolver's failure into what the client sees: AppErrors keep their code and message,
 * argument validation becomes BAD_USER_INPUT, and anything else is masked (and logged by the
 * caller) so database messages never reach clients.
 */
export function toClientError(error: unknown, onUnexpected: (error: unknown) => void): Error {
  if (!(error instanceof GraphQLError)) return masked(error, onUnexpected);
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
  return masked(original, onUnexpected, location);
}

function masked(error: unknown, onUnexpected: (error: unknown) => void, location = {}): GraphQLError {
  onUnexpected(error);
  return new GraphQLError('Unexpected error.', { ...location, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}
