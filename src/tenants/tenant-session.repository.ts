import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { TenantId } from './tenant.js';
import { TENANT_COLUMNS, TENANT_LOCK_NAMESPACE, type TenantRow } from './tenant.repository.js';

/** The role tenant requests run as (migration 0010): not the owner, no BYPASSRLS, held by row-level security. */
export const APP_ROLE = 'narwhal_app';

/**
 * Opens a tenant session in the current transaction, in one statement (migration 0012's
 * narwhal_open_tenant_scope, named before this vocabulary): applies `settings` transaction-locally,
 * takes the tenant's lock shared, re-reads the tenant under it and switches to APP_ROLE with the
 * tenant recorded for row-level security. Its row is undefined when the tenant row is gone.
 * Unrun, so it can also be sent ahead of the session's first query in one round trip.
 */
export function openTenantSessionStatement(tenantId: TenantId, settings: Readonly<Record<string, string>>) {
  const pairs = Object.entries(settings).flat();
  const columns = sql.join(TENANT_COLUMNS.map((column) => sql.ref(column)));
  return sql<TenantRow>`
    select ${columns} from narwhal_open_tenant_scope(${TENANT_LOCK_NAMESPACE}, ${tenantId}::integer, ${pairs}::text[])`;
}

/**
 * Only the role switch of a tenant session: APP_ROLE with the tenant recorded in
 * narwhal.tenant_id, both transaction-locally (set_config(..., true)), so a pooled connection
 * never carries one request's role or tenant into the next. For the row-security probe, which
 * needs a session for a tenant that does not exist. The function lives in migration 0010 because
 * what it does depends on the engine: on Citus it only records the tenant.
 */
export async function enterTenantSession(db: Db, tenantId: TenantId | number): Promise<void> {
  await sql`select narwhal_enter_tenant(${tenantId}::integer)`.execute(db);
}

/**
 * Gives a documents table created after migration 0010 (a tenant's partition, or the detached
 * table it is filled in before being attached) the same row-level security as documents.
 * The name comes from an internal integer id (partitionName), never from user text.
 */
export async function secureDocumentsTable(db: Db, table: string): Promise<void> {
  await sql`select narwhal_secure_documents_table(${table}::regclass)`.execute(db);
}
