import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { AppError, type ErrorCode, type ErrorDetails } from '../domain-errors.js';

/**
 * Turns a resolver's failure into what the client sees: AppErrors keep their code and message,
 * argument validation becomes BAD_USER_INPUT, and anything else is masked so database messages
 * never reach clients. domainErrorOf names the AppError a lower layer's failure means (the server
 * passes db/'s SQLSTATE mapping), so this layer translates domain errors and knows no SQLSTATE.
 */
export function toClientError(error: unknown, domainErrorOf: (cause: unknown) => AppError | undefined = () => undefined): Error {
  if (!(error instanceof GraphQLError)) return masked(error);
  if (error.extensions?.originalError !== undefined) return withoutEcho(error);
  const original = error.originalError instanceof AppError ? error.originalError : (domainErrorOf(error.originalError) ?? error.originalError);
  const location = { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path };
  if (original instanceof AppError) {
    return new GraphQLError(original.message, {
      ...location,
      extensions: {
        code: original.code,
        ...(original.field ? { field: original.field } : {}),
        ...original.details,
        ...httpExtension(original),
      },
    });
  }
  if (original instanceof PothosValidationError || error instanceof PothosValidationError) {
    return new GraphQLError((original ?? error).message, { ...location, extensions: { code: 'BAD_USER_INPUT' } });
  }
  // Errors graphql-js raised itself (parse, validation, variable coercion) describe the request.
  if (original === undefined || original === null || original instanceof GraphQLError) return error;
  return masked(original, location);
}

/**
 * Yoga's request parser puts the JSON parser's own error in extensions.originalError, and that
 * message quotes the body back (the body, then a snippet of it again). One message, with where
 * the body broke and nothing of what it held.
 */
function withoutEcho(error: GraphQLError): GraphQLError {
  const { originalError, http, ...rest } = error.extensions;
  // Yoga answered 400 even to application/json clients because originalError was there: a body
  // that is not JSON never became a GraphQL request. Keep that status without the marker.
  const extensions = { ...rest, http: { ...(http as object | undefined), spec: false } };
  const detail = (originalError as { message?: unknown } | undefined)?.message;
  const position = typeof detail === 'string' ? /position (\d+)/.exec(detail)?.[1] : undefined;
  const message = position === undefined ? error.message : `${error.message.replace(/\.$/, '')} (at character ${position}).`;
  return new GraphQLError(message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions });
}

/**
 * A request refused before execution (limits, CSRF): a coded error with the status yoga sends.
 * `spec` lets legacy application/json clients keep their 200, as for validation errors.
 */
export function rejectedRequest(code: ErrorCode, message: string, details: ErrorDetails = {}, status = 400): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...details, http: { status, spec: true } } });
}

// Yoga reads extensions.http for the response status and headers, and strips it from the body.
// A rate-limited client gets 429 and Retry-After whatever it accepts: backing off is the point.
// So does a client whose database is away (503): a retry after it is back may succeed.
function httpExtension(error: AppError) {
  if (error.code === 'DATABASE_UNAVAILABLE') return { http: { status: 503, headers: { 'retry-after': '1' } } };
  if (error.code !== 'RATE_LIMITED') return {};
  const retryAfter = error.details?.retryAfterSeconds;
  const headers: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
  return { http: { status: 429, headers } };
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

/** A whole response for a request refused before it became a GraphQL operation (body size, CSRF). */
export function errorResponse(
  fetchAPI: { Response: typeof Response },
  status: number,
  code: ErrorCode,
  message: string,
): Response {
  return new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}
