import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { TenantId } from './tenant.js';

/** The role tenant requests run as (migration 0010): not the owner, no BYPASSRLS, held by row-level security. */
export const APP_ROLE = 'narwhal_app';

/**
 * Switches the current transaction to APP_ROLE with the tenant recorded in narwhal.tenant_id,
 * both transaction-locally (set_config(..., true)), so a pooled connection never carries one
 * request's role or tenant into the next. The function lives in migration 0010 because what it
 * does depends on the engine: on Citus it only records the tenant.
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
