import { type RawBuilder, sql } from 'kysely';

/**
 * The condition every read of documents carries: a document whose expires_at has passed is gone
 * from that moment, whether or not the purge (tenants/expiry-purge.ts) has deleted it yet.
 * now() is the transaction's start, so one request sees one instant throughout. On a dedicated
 * partition it is checked on the rows the HNSW scan returns (iterative scan fetches more when it
 * drops some), so it never turns an index search into a sequential one.
 */
export function notExpired(table?: string): RawBuilder<boolean> {
  const column = table ? sql.ref(`${table}.expires_at`) : sql.ref('expires_at');
  return sql<boolean>`(${column} is null or ${column} > now())`;
}
