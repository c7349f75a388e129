import { AppError } from '../domain-errors.js';

/** SQLSTATE codes the services react to; everything else is an internal error. */
const UNIQUE_VIOLATION = '23505';
const UNDEFINED_TABLE = '42P01';
// query_canceled: statement_timeout (STATEMENT_TIMEOUT_MS) ran out, or an operator cancelled the query.
const QUERY_CANCELED = '57014';
// Text PostgreSQL cannot store, such as a NUL escaped inside a JSON string.
const UNSTORABLE_TEXT = new Set(['22P05', '22021']);

type PostgresError = { code?: unknown; constraint?: unknown };

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint: violated } = error as PostgresError;
  if (code !== UNIQUE_VIOLATION) return false;
  if (constraint === undefined) return true;
  // Citus relays a worker's error without its constraint field: the name is in the message.
  const message = error instanceof Error ? error.message : '';
  return isConstraint(violated ?? /unique constraint "([^"]+)"/.exec(message)?.[1], constraint);
}

// On Citus the violation comes back from a worker, named after the shard's copy of the
// constraint: the table's constraint name and the shard id (tenants_slug_key_102008).
function isConstraint(violated: unknown, constraint: string): boolean {
  if (typeof violated !== 'string') return false;
  return violated === constraint || (violated.startsWith(`${constraint}_`) && /^\d+$/.test(violated.slice(constraint.length + 1)));
}

export function isUnstorableText(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  return UNSTORABLE_TEXT.has(String((error as PostgresError).code));
}

// deadlock_detected (Citus also reports a distributed deadlock with it) and serialization_failure.
const TRANSACTION_CONFLICT = new Set(['40P01', '40001']);

/** The transaction lost to a concurrent one and was rolled back: the same work may succeed when tried again. */
export function isTransactionConflict(error: unknown): boolean {
  return typeof error === 'object' && error !== null && TRANSACTION_CONFLICT.has(String((error as PostgresError).code));
}

export function isUndefinedTable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as PostgresError).code === UNDEFINED_TABLE;
}

// The server is shutting down or starting (admin_shutdown, crash_shutdown, cannot_connect_now),
// has no connection to spare (too_many_connections: the embedded engine's one is held by another
// client), or the connection itself failed (class 08).
const SERVER_GONE = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);
const CONNECTION_MESSAGES = [/connection terminated/i, /timeout exceeded when trying to connect/i, /connection .*ended/i, /not queryable/i];

/** The database could not be reached or went away mid-request: a retry after it is back may succeed. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = String((error as PostgresError).code ?? '');
  if (SERVER_GONE.has(code) || SOCKET_ERRORS.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return CONNECTION_MESSAGES.some((pattern) => pattern.test(message));
}

/** A statement the server cancelled: the request's statement timeout ran out (or an operator cancelled it). */
function isStatementCanceled(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as PostgresError).code === QUERY_CANCELED;
}

/**
 * The domain error a failure of the database means for the request, if it means one: a cancelled
 * statement is TIMEOUT, an unreachable database DATABASE_UNAVAILABLE; anything else stays internal.
 * The GraphQL layer translates AppErrors and never reads a SQLSTATE itself.
 */
export function domainErrorFromDatabase(error: unknown): AppError | undefined {
  if (isStatementCanceled(error)) {
    return new AppError(
      'TIMEOUT',
      'The database cancelled this request: it ran longer than the statement timeout. Ask for less (fewer hits, a narrower filter) or retry.',
      undefined,
      { cause: error },
    );
  }
  if (isDatabaseUnavailable(error)) {
    return new AppError('DATABASE_UNAVAILABLE', 'The database is unavailable right now; retry shortly.', undefined, { cause: error });
  }
  return undefined;
}
