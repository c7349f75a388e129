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

export type WorkerRowSecurity = { node: string; problem: string | null };

/**
 * On Citus, what each worker says of the app role and of row security on the shards it holds of
 * documents and its partitions (shard tables are named <table>_<shard id>). Null: all holds.
 */
export async function readWorkerRowSecurity(db: Db): Promise<WorkerRowSecurity[]> {
  const { rows } = await sql<{ node: string; success: boolean; result: string }>`
    select nodename || ':' || nodeport as node, success, result from run_command_on_workers(${WORKER_ROW_SECURITY_CHECK})`.execute(db);
  return rows.map((row) => ({ node: row.node, problem: !row.success ? `the check failed: ${row.result}` : row.result || null }));
}

const WORKER_ROW_SECURITY_CHECK = `
  select concat_ws('; ',
    case when r.oid is null then 'the role ${APP_ROLE} does not exist'
         when r.rolsuper or r.rolbypassrls then 'the role ${APP_ROLE} bypasses row-level security' end,
    (select count(*) || ' shards of documents without forced row-level security and its policy'
       from pg_class c
      where c.relkind = 'r' and c.relname ~ '^documents(_shared|_t[0-9]+)?_[0-9]+$'
        and not (c.relrowsecurity and c.relforcerowsecurity
                 and exists (select 1 from pg_policy p where p.polrelid = c.oid and p.polname = 'tenant_isolation'))
     having count(*) > 0))
  from (select 1) as one left join pg_roles r on r.rolname = '${APP_ROLE}'`;

/**
 * For each worker, a tenant id (negative: no tenant can have it) whose shard of the shared pool
 * that worker holds, so a write for it is checked by that worker's policies.
 */
export async function findProbeTenantPerWorker(db: Db): Promise<{ node: string; tenantId: number }[]> {
  const { rows } = await sql<{ node: string; tenant_id: number }>`
    select distinct on (n.groupid) n.nodename || ':' || n.nodeport as node, k.tenant_id
      from generate_series(-2, -200, -1) as k(tenant_id)
      join pg_dist_placement p on p.shardid = get_shard_id_for_distribution_column('documents_shared', k.tenant_id)
      join pg_dist_node n on n.groupid = p.groupid and n.noderole = 'primary' and n.isactive
     order by n.groupid, k.tenant_id desc`.execute(db);
  return rows.map((row) => ({ node: row.node, tenantId: row.tenant_id }));
}
