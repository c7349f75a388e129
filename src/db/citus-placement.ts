// Where a Citus tenant's shard lives, what only its worker can answer, and moving it there.
import { sql } from 'kysely';
import { type ShardTransferMode, assertTenantId } from './citus-tenant-isolation.js';
import type { Db } from './database.js';

/** A shard of a distributed table and the worker that holds it. */
export type ShardPlacement = { shardId: string; host: string; port: number };

/** Where the tenant's rows of a distributed table (documents or one of its partitions) live. */
export async function findTenantPlacement(db: Db, table: string, tenantId: number): Promise<ShardPlacement | undefined> {
  assertTenantId(tenantId);
  // Undefined, not an error, when the table is gone (a tenant demoted or deleted meanwhile).
  const { rows } = await sql<{ shard_id: string; host: string; port: number }>`
    select s.shardid::text as shard_id, n.nodename as host, n.nodeport as port
      from (select get_shard_id_for_distribution_column(t.oid, ${tenantId}::integer) as shardid
              from (select to_regclass(${table}) as oid) as t where t.oid is not null) as s
      join pg_dist_placement p on p.shardid = s.shardid
      join pg_dist_node n on n.groupid = p.groupid and n.noderole = 'primary'`.execute(db);
  const row = rows[0];
  return row ? { shardId: row.shard_id, host: row.host, port: row.port } : undefined;
}

const SHARD_OBJECT_NAME = /^[a-z][a-z0-9_]*$/;

/** A table's or index's name on the worker holding one of its shards: the shard id appended. */
export function shardObjectName(name: string, placement: ShardPlacement): string {
  if (!SHARD_OBJECT_NAME.test(name)) throw new RangeError(`not a plain object name: ${name}`);
  return `${name}_${placement.shardId}`;
}

/**
 * Runs one statement on the worker holding a shard and returns the first column of its first
 * row as text (null when none). For what only the worker knows: the sizes of the shard's
 * indexes, an index build in progress there, pg_prewarm of the shard's index. The coordinator's
 * own copies of distributed tables hold no rows. The statement must name objects through
 * shardObjectName, never from user text.
 */
export async function queryOnWorker(db: Db, placement: ShardPlacement, statement: string): Promise<string | null> {
  const { rows } = await sql<{ success: boolean; result: string | null }>`
    select success, result from master_run_on_worker(
      array[${placement.host}]::text[], array[${placement.port}]::integer[], array[${statement}]::text[], false)`.execute(db);
  const row = rows[0];
  if (!row?.success) throw new Error(`on worker ${placement.host}:${placement.port}: ${row?.result ?? 'no answer'}`);
  return row.result === '' ? null : row.result;
}

export type WorkerNode = { host: string; port: number };

/** The active primary workers, in the order they were added. */
export async function listWorkers(db: Db): Promise<WorkerNode[]> {
  const { rows } = await sql<{ host: string; port: number }>`
    select nodename as host, nodeport as port from pg_dist_node
     where noderole = 'primary' and isactive and shouldhaveshards and groupid <> 0 order by nodeid`.execute(db);
  return rows;
}

/**
 * Moves a shard, and with it its whole shard group (the tenant's shard of documents and of every
 * partition), to another worker. 'auto' copies through logical replication, blocking writes only
 * at the end (the workers need wal_level = logical). Not inside a transaction.
 */
export async function moveShard(db: Db, placement: ShardPlacement, to: WorkerNode, mode: ShardTransferMode = 'auto'): Promise<void> {
  await sql`select citus_move_shard_placement(${placement.shardId}::bigint, ${placement.host}, ${placement.port}::integer,
    ${to.host}, ${to.port}::integer, shard_transfer_mode => ${mode}::citus.shard_transfer_mode)`.execute(db);
}
