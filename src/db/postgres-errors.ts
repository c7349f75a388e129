/** SQLSTATE codes the services react to; everything else is an internal error. */
const UNIQUE_VIOLATION = '23505';

type PostgresError = { code?: unknown; constraint?: unknown };

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint: violated } = error as PostgresError;
  return code === UNIQUE_VIOLATION && (constraint === undefined || violated === constraint);
}
