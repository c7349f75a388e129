import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { SHARED_SHARD } from './tenant.js';
import { APP_ROLE } from './tenant-session.repository.js';

export type RowSecurityFlags = {
  /** pg_class.relrowsecurity / relforcerowsecurity of documents. */
  enabled: boolean;
  forced: boolean;
  /** Attributes of APP_ROLE; null when the role does not exist. */
  role: { superuser: boolean; bypassRls: boolean; ownsDocuments: boolean } | null;
};

export async function readRowSecurityFlags(db: Db): Promise<RowSecurityFlags> {
  const { rows } = await sql<{ enabled: boolean; forced: boolean; superuser: boolean | null; bypass: boolean | null; owns: boolean | null }>`
    select c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
           r.rolsuper as superuser, r.rolbypassrls as bypass, r.oid = c.relowner as owns
      from pg_class c left join pg_roles r on r.rolname = ${APP_ROLE}
     where c.oid = 'documents'::regclass`.execute(db);
  const row = rows[0];
  if (!row) throw new Error('the documents table does not exist');
  return {
    enabled: row.enabled,
    forced: row.forced,
    role: row.superuser === null ? null : { superuser: row.superuser, bypassRls: row.bypass === true, ownsDocuments: row.owns === true },
  };
}

export async function readCurrentRole(db: Db): Promise<string> {
  const { rows } = await sql<{ role: string }>`select current_user as role`.execute(db);
  return rows[0]?.role ?? '';
}

/** Every row of documents the current role may see: the probe for a forgotten tenant filter. */
export async function countVisibleDocuments(db: Db): Promise<number> {
  const { rows } = await sql<{ count: string }>`select count(*) as count from documents`.execute(db);
  return Number(rows[0]?.count ?? 0);
}

/**
 * Writes a row for tenantId into the shared pool without any other column: row-level security's
 * WITH CHECK refuses it first when tenantId is not the session's tenant; otherwise a NOT NULL
 * constraint does. Either way nothing is written; callers roll back.
 */
export async function insertBareDocument(db: Db, tenantId: number): Promise<void> {
  await sql`insert into documents (tenant_id, shard) values (${tenantId}, ${SHARED_SHARD})`.execute(db);
}
