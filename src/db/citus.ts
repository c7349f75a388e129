// Citus (distributed PostgreSQL): distribution and settings; with citus-tenant-isolation.ts and
// citus-placement.ts, the only Citus-specific SQL in Narwhal. Everything else runs
// unchanged on a Citus coordinator, because every tenant-scoped key leads with tenant_id.
// Verified on Citus 13.2 (test/db/citus.test.ts with CITUS_TEST_URL). See docs/citus.md.
import { type RawBuilder, sql } from 'kysely';
import type { Db } from './schema.js';

/**
 * Oldest Citus these statements are written for. tenants.id is an `integer` identity column:
 * Citus tables accept non-bigint identity columns from 12.0 (citus#7008), and a reference table
 * made from a table Citus already tracks, with an identity column, from 12.1 (citus#7131).
 * Tenant isolation of partitioned tables needs 11.1 (shard split rewrite). Verified on 13.2.
 */
export const MIN_CITUS_VERSION = { major: 12, minor: 1 } as const;

/**
 * Shards per distributed table, fixed explicitly rather than taken from the server's
 * citus.shard_count. Every partition of `documents` gets this many shards: a DEDICATED tenant's
 * partition has rows in only the one covering its tenant's hash, while the shared pool (shard 0,
 * documents_shared) spreads its tenants across all of them.
 */
export const DOCUMENTS_SHARD_COUNT = 32;

export type CitusDistributionStep = { name: string; statement: RawBuilder<unknown> };

// Serializes distribution across Narwhal processes starting together against one coordinator.
const DISTRIBUTION_LOCK_KEY = 7_361_042_001;

/** True when the citus extension is installed in the current database. */
export async function isCitus(db: Db): Promise<boolean> {
  const { rows } = await sql<{ installed: boolean }>`
    select exists (select 1 from pg_extension where extname = 'citus') as installed`.execute(db);
  return rows[0]?.installed === true;
}

/**
 * The idempotent statements that turn a migrated Narwhal database on a Citus coordinator into a
 * distributed one, in the order they must run. Each checks pg_dist_partition first, so re-running
 * them (every startup) is a no-op. They are DO blocks: no parameters, only constant names.
 */
export function citusDistributionStatements(): CitusDistributionStep[] {
  return [
    {
      // Citus does not distribute multi-level partitioned tables. Migration 0006 makes the shared
      // pool (documents_shared, shard 0) a plain partition when citus is installed, but a
      // database migrated on plain PostgreSQL and restored onto a coordinator has it hash
      // sub-partitioned: fold the buckets back into one partition with the same bound (Citus's
      // own hash shards by tenant_id do the bucketing). One transaction, once; only indexes
      // defined on `documents` itself carry over to the new partition.
      name: 'flatten-shared-partition',
      statement: sql`do $$
declare
  column_list text;
  partition_bound text;
begin
  if exists (select 1 from pg_dist_partition where logicalrelid = 'documents'::regclass) then
    return;
  end if;
  if not exists (select 1 from pg_class where oid = to_regclass('documents_shared') and relkind = 'p') then
    return;
  end if;
  select pg_get_expr(relpartbound, oid) into partition_bound from pg_class where oid = 'documents_shared'::regclass;
  select string_agg(quote_ident(attname), ', ' order by attnum) into column_list
    from pg_attribute
   where attrelid = 'documents'::regclass and attnum > 0 and not attisdropped and attgenerated = '';
  alter table documents detach partition documents_shared;
  alter table documents_shared rename to documents_shared_hashed;
  execute format('create table documents_shared partition of documents %s', partition_bound);
  execute format('insert into documents_shared (%s) select %s from documents_shared_hashed', column_list, column_list);
  drop table documents_shared_hashed;
end
$$`,
    },
    // tenants: small, read on every request, referenced by documents' foreign key. A reference
    // table is replicated to every node, so that foreign key (distributed -> reference is
    // supported, distributed -> local is not) and any join with documents stay on the worker.
    // Writes (createTenant) become a commit on every node, which their rarity affords.
    referenceTableStep('tenants'),
    // deployment_settings: one row read at startup. Only the coordinator reads it today, but as a
    // reference table it exists on every node, so Narwhal may connect to any node (Citus 11+
    // syncs metadata to workers) and still find it; a local table lives on the coordinator only.
    referenceTableStep('deployment_settings'),
    {
      // documents: hash-distributed by tenant_id, not by its LIST partition key (shard): Citus
      // shards the parent and every partition alike (partitions created or attached later are
      // distributed with them), and a query with `tenant_id = $1` is routed to one shard group
      // on one worker, where PostgreSQL prunes to the `shard = $2` partition and its HNSW index.
      // Keys lead with tenant_id, as Citus requires of unique constraints. colocate_with =>
      // 'none' starts a colocation group of its own, so isolate_tenant_to_new_shard(...,
      // 'CASCADE') splits only Narwhal's tables; future tenant-keyed tables should join it with
      // colocate_with => 'documents'.
      name: 'documents',
      statement: sql`do $$
begin
  if not exists (select 1 from pg_dist_partition where logicalrelid = 'documents'::regclass and partmethod = 'h') then
    perform create_distributed_table('documents', 'tenant_id', colocate_with => 'none', shard_count => ${sql.lit(DOCUMENTS_SHARD_COUNT)});
  end if;
end
$$`,
    },
    {
      // tenant_usage_daily (migration 0019): keyed by tenant like documents and colocated with
      // it, so a tenant's counters sit on the worker holding its rows and move with them.
      name: 'tenant-usage-daily',
      statement: sql`do $$
begin
  if not exists (select 1 from pg_dist_partition where logicalrelid = 'tenant_usage_daily'::regclass) then
    perform create_distributed_table('tenant_usage_daily', 'tenant_id', colocate_with => 'documents');
    if pg_relation_size('tenant_usage_daily') > 0 then
      perform truncate_local_data_after_distributing_table('tenant_usage_daily');
    end if;
  end if;
end
$$`,
    },
    {
      // Distributing copies existing rows into shards and leaves the originals in the
      // coordinator's local tables, where nothing reads them any more; Citus's own advice is to
      // truncate them, which gives the disk back. Runs only once all three tables are
      // distributed: truncating tenants' local copy cascades locally to documents', which must
      // already be safe in its shards. A truncated table has size 0, so later runs skip it.
      name: 'truncate-local-copies',
      statement: sql`do $$
begin
  if (select count(*) from pg_dist_partition
       where (logicalrelid = 'documents'::regclass and partmethod = 'h')
          or (logicalrelid in ('tenants'::regclass, 'deployment_settings'::regclass) and partmethod = 'n' and repmodel = 't')) < 3 then
    return;
  end if;
  if exists (select 1 from pg_partition_tree('documents') where isleaf and pg_relation_size(relid) > 0) then
    perform truncate_local_data_after_distributing_table('documents');
  end if;
  if pg_relation_size('tenants') > 0 then
    perform truncate_local_data_after_distributing_table('tenants');
  end if;
  if pg_relation_size('deployment_settings') > 0 then
    perform truncate_local_data_after_distributing_table('deployment_settings');
  end if;
end
$$`,
    },
  ];
}

function referenceTableStep(table: 'tenants' | 'deployment_settings'): CitusDistributionStep {
  const name = sql.lit(table);
  // With the coordinator in the metadata (citus_set_coordinator_host), Citus would answer a
  // local table's foreign key to the new reference table by converting documents into a
  // "Citus local table" and back again when it is distributed. Switching that off for this
  // transaction keeps the classic path: documents stays a plain table until the next step
  // distributes it. The guard tells a reference table (repmodel 't') from a Citus
  // local one (repmodel 's'), which must still be converted.
  return {
    name: table,
    statement: sql`do $$
begin
  if not exists (select 1 from pg_dist_partition where logicalrelid = ${name}::regclass and partmethod = 'n' and repmodel = 't') then
    set local citus.enable_local_reference_table_foreign_keys = off;
    perform create_reference_table(${name});
  end if;
end
$$`,
  };
}

/** What stands in the way of distributing this database; empty when nothing does. */
export async function findCitusProblems(db: Db): Promise<string[]> {
  const { rows } = await sql<{ version: string | null }>`
    select (select extversion from pg_extension where extname = 'citus') as version`.execute(db);
  const version = rows[0]?.version;
  if (!version) return ['the citus extension is not installed in this database (create extension citus)'];
  const problems: string[] = [];
  const [major = 0, minor = 0] = version.split(/[.-]/).map(Number);
  if (major < MIN_CITUS_VERSION.major || (major === MIN_CITUS_VERSION.major && minor < MIN_CITUS_VERSION.minor)) {
    problems.push(
      `Citus ${version} is older than ${MIN_CITUS_VERSION.major}.${MIN_CITUS_VERSION.minor}, the first to accept ` +
        'the integer identity column tenants.id in Citus tables',
    );
  }
  const state = await sql<{ distributed: boolean; workers: number }>`
    select exists (select 1 from pg_dist_partition where logicalrelid = 'documents'::regclass and partmethod = 'h') as distributed,
           (select count(*)::int from citus_get_active_worker_nodes()) as workers`.execute(db);
  const { distributed = false, workers = 0 } = state.rows[0] ?? {};
  // Citus puts a cluster's first tables on the coordinator when no worker is registered; they
  // would stay there until a rebalance. Refuse instead, before anything is distributed.
  if (!distributed && workers === 0) {
    problems.push('no active Citus worker nodes: register them with citus_add_node(host, port) first');
  }
  return problems;
}

/**
 * Distributes Narwhal's tables on a Citus coordinator (after the migrations), each step in its
 * own transaction, under an advisory lock so concurrently starting servers take turns.
 */
export async function distributeCitusTables(db: Db): Promise<void> {
  if (db.isTransaction) {
    throw new Error('distributeCitusTables runs each step in its own transaction; call it outside a transaction');
  }
  await db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${DISTRIBUTION_LOCK_KEY}::bigint)`.execute(connection);
    try {
      const problems = await findCitusProblems(connection);
      if (problems.length > 0) {
        throw new Error(`Cannot distribute Narwhal's tables on Citus:\n- ${problems.join('\n- ')}`);
      }
      for (const step of citusDistributionStatements()) {
        try {
          await step.statement.execute(connection);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new Error(`Citus distribution step "${step.name}" failed: ${reason}`, { cause: error });
        }
      }
    } finally {
      await sql`select pg_advisory_unlock(${DISTRIBUTION_LOCK_KEY}::bigint)`.execute(connection);
    }
  });
}

const SETTING_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;
const SETTING_WORD = /^[A-Za-z0-9_]+$/;

/**
 * `SET LOCAL` statements for per-query settings (hnsw.ef_search, hnsw.iterative_scan) that also
 * reach Citus workers. A router query runs on the worker, where set_config(..., true) made on the
 * coordinator is never seen; Citus forwards SET LOCAL (not set_config) to the workers of the
 * current transaction when citus.propagate_set_commands is 'local', set first. On plain
 * PostgreSQL the citus.* setting is an inert placeholder. Run inside a transaction; values are
 * validated and inlined, as SET takes no parameters.
 */
export function transactionLocalSettingStatements(
  settings: Readonly<Record<string, number | string>>,
): RawBuilder<unknown>[] {
  const statements: RawBuilder<unknown>[] = [sql`set local citus.propagate_set_commands = 'local'`];
  for (const [name, value] of Object.entries(settings)) {
    if (!SETTING_NAME.test(name)) throw new RangeError(`setting name must look like "hnsw.ef_search", got "${name}"`);
    const valid = typeof value === 'number' ? Number.isFinite(value) : SETTING_WORD.test(value);
    if (!valid) throw new RangeError(`setting ${name}: value must be a finite number or a single word, got "${value}"`);
    statements.push(sql`set local ${sql.raw(name)} = ${sql.lit(value)}`);
  }
  return statements;
}

/**
 * Moving a tenant mixes reads and writes of distributed tables with DDL on them (create, attach,
 * detach and drop a partition) in one transaction. Citus refuses DDL after it has used several
 * connections to a worker in the transaction ("there was a parallel operation on a distributed
 * table"); in sequential mode it uses one per worker throughout. Transaction-local.
 */
export async function useSequentialShardAccess(db: Db): Promise<void> {
  await sql`set local citus.multi_shard_modify_mode = 'sequential'`.execute(db);
}
