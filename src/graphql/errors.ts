import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { AppError } from '../errors.js';

/**
 * Turns a resolver's failure into what the client sees: AppErrors keep their code and message,
 * argument validation becomes BAD_USER_INPUT, and anything else is masked so database messages
 * never reach clients.
 */
export function toClientError(error: unknown): Error {
  if (!(error instanceof GraphQLError)) return masked(error);
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
  return masked(original, location);
}

// The original rides along as originalError (never serialized) so it can be logged with the request id.
function masked(original: unknown, location = {}): GraphQLError {
  return new GraphQLError('Unexpected error.', {
    ...location,
    originalError: original instanceof Error ? original : new Error(String(original)),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}

/**
 * The catalogue code of an error graphql-js raised about the request itself, which carries
 * none: a variable that does not fit its type is the caller's input, anything else fails
 * validation against the schema.
 */
export function requestErrorCode(error: GraphQLError): string {
  return /^Variable "\$[^"]+" (got invalid value|of required type|of non-null type)/.test(error.message)
    ? 'BAD_USER_INPUT'
    : 'GRAPHQL_VALIDATION_FAILED';
}
