// Citus tenant isolation: a tenant's own shard group, the Citus counterpart of a DEDICATED partition.
import { type RawBuilder, sql } from 'kysely';
import { isCitus } from './citus.js';
import type { Db } from './schema.js';

export type ShardTransferMode = 'auto' | 'force_logical' | 'block_writes';

const MAX_INT4 = 2_147_483_647;

export function assertTenantId(tenantId: number): void {
  if (!Number.isSafeInteger(tenantId) || tenantId < 1 || tenantId > MAX_INT4) {
    throw new RangeError(`tenantId must be an integer from 1 to ${MAX_INT4} (tenants.id), got ${tenantId}`);
  }
}

/**
 * Splits the shard holding the tenant's hash so the tenant gets a shard group of its own (the
 * Citus counterpart of a DEDICATED partition), which citus_move_shard_placement can then put on
 * a node of its own. CASCADE splits every colocated table alike: documents, all its partitions.
 * The tenant id is a parameter, cast so the function's "any" argument gets a type.
 */
export function isolateTenantStatement(
  tenantId: number,
  options: { shardTransferMode?: ShardTransferMode } = {},
): RawBuilder<{ shard_id: string }> {
  assertTenantId(tenantId);
  const mode = options.shardTransferMode ?? 'auto';
  return sql<{ shard_id: string }>`select isolate_tenant_to_new_shard('documents', ${tenantId}::integer,
    cascade_option => 'CASCADE', shard_transfer_mode => ${mode}::citus.shard_transfer_mode)::text as shard_id`;
}

/** The documents shard holding the tenant, and whether the tenant already has it to itself. */
export function tenantShardStatement(tenantId: number): RawBuilder<{ shard_id: string; isolated: boolean }> {
  assertTenantId(tenantId);
  return sql<{ shard_id: string; isolated: boolean }>`select shardid::text as shard_id, shardminvalue = shardmaxvalue as isolated
    from pg_dist_shard
   where shardid = get_shard_id_for_distribution_column('documents', ${tenantId}::integer)`;
}

/**
 * Gives the tenant a shard of its own and returns its id; returns the existing one when the
 * tenant is already isolated. Not inside a transaction that has written (Citus refuses), and
 * 'auto' / 'force_logical' need wal_level = logical on the workers.
 */
export async function isolateTenantToOwnShard(
  db: Db,
  tenantId: number,
  options: { shardTransferMode?: ShardTransferMode } = {},
): Promise<string> {
  if (!(await isCitus(db))) throw new Error('isolateTenantToOwnShard needs a Citus coordinator');
  const current = (await tenantShardStatement(tenantId).execute(db)).rows[0];
  if (current?.isolated) return current.shard_id;
  const { rows } = await isolateTenantStatement(tenantId, options).execute(db);
  const shardId = rows[0]?.shard_id;
  if (shardId === undefined) throw new Error(`isolate_tenant_to_new_shard returned no shard for tenant ${tenantId}`);
  return shardId;
}
