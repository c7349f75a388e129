/**
 * The catalogue of error codes a client can see in `extensions.code`. Services throw AppError
 * (they never import graphql); the server turns it into a GraphQLError and masks anything else.
 */
export const ERROR_CODES = [
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'TENANT_NOT_FOUND',
  'TENANT_INACTIVE',
  'TENANT_OFFLOADED',
  'NOT_FOUND',
  'CONFLICT',
  'FAILED_PRECONDITION',
  'EMBEDDING_UNAVAILABLE',
  'QUERY_TOO_COMPLEX',
  'PAYLOAD_TOO_LARGE',
  'CSRF_REJECTED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_MISMATCH',
  'PERSISTED_QUERY_REQUIRED',
  'RATE_LIMITED',
  'QUOTA_EXCEEDED',
  'TIMEOUT',
  'DATABASE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
export type ErrorDetails = Readonly<Record<string, string | number | boolean>>;

export class AppError extends Error {
  /** Machine-readable facts sent along in extensions, e.g. { retryAfterSeconds: 2 } or a quota's limit. */
  readonly details: ErrorDetails | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The input path at fault, e.g. `documents[3].content`, when there is one. */
    readonly field?: string,
    options?: ErrorOptions & { details?: ErrorDetails },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.details = options?.details;
  }
}

export function badUserInput(field: string, message: string): AppError {
  return new AppError('BAD_USER_INPUT', `${field}: ${message}`, field);
}

/** Throws BAD_USER_INPUT naming the field and the range unless value is an integer in it. */
export function checkIntegerRange(field: string, value: number, limits: { min: number; max: number }): number {
  if (!Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw badUserInput(field, `must be an integer from ${limits.min} to ${limits.max}, got ${value}`);
  }
  return value;
}
