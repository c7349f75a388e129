/**
 * The external database the suite runs against, if any: a Citus coordinator (CITUS_TEST_URL),
 * else a PostgreSQL with pgvector (TEST_DATABASE_URL); undefined means the embedded engine.
 * A Citus run is the whole suite on Citus, not only its Citus-specific tests.
 */
export function testDatabaseUrl(): string | undefined {
  return process.env.CITUS_TEST_URL || process.env.TEST_DATABASE_URL || undefined;
}

/** True when the suite runs on a Citus coordinator. */
export const onCitus = Boolean(process.env.CITUS_TEST_URL);
