import { sql } from 'kysely';
import type { Db } from '../../src/db/database.js';

type StorageBytes = {
  table_bytes: number;
  index_bytes: number;
  /** The shared pool (documents_shared and its hash buckets). */
  shared_table_bytes: number;
  shared_index_bytes: number;
  /** The dedicated tenants' own partitions (their HNSW indexes are most of index_bytes). */
  dedicated_table_bytes: number;
  dedicated_index_bytes: number;
};

type WorkerRows = { node: string; rows: number; bytes: number };

type LeafSize = { relid: string; table_bytes: string; total_bytes: string };

/**
 * Bytes of every leaf partition of `documents` (heap with TOAST, and indexes). On Citus the
 * coordinator's own relations are empty stubs, so the sizes come from citus_table_size and
 * citus_total_relation_size, which add up the shards on the workers.
 */
export async function documentsStorage(db: Db, citus: boolean): Promise<StorageBytes> {
  const { rows } = citus
    ? await sql<LeafSize>`
        select relid::text, citus_table_size(relid) as table_bytes, citus_total_relation_size(relid) as total_bytes
        from pg_partition_tree('documents') where isleaf`.execute(db)
    : await sql<LeafSize>`
        select relid::text, pg_table_size(relid) as table_bytes, pg_total_relation_size(relid) as total_bytes
        from pg_partition_tree('documents') where isleaf`.execute(db);
  const bytes: StorageBytes = {
    table_bytes: 0,
    index_bytes: 0,
    shared_table_bytes: 0,
    shared_index_bytes: 0,
    dedicated_table_bytes: 0,
    dedicated_index_bytes: 0,
  };
  for (const row of rows) {
    const table = Number(row.table_bytes);
    const index = Number(row.total_bytes) - table;
    const tier = row.relid.startsWith('documents_shared') ? 'shared' : 'dedicated';
    bytes.table_bytes += table;
    bytes.index_bytes += index;
    bytes[`${tier}_table_bytes`] += table;
    bytes[`${tier}_index_bytes`] += index;
  }
  return bytes;
}

/** Citus only: rows and bytes of `documents` on each worker, counted shard by shard. */
export async function rowsPerWorker(db: Db): Promise<WorkerRows[]> {
  const { rows } = await sql<{ node: string; rows: string; bytes: string }>`
    select s.nodename || ':' || s.nodeport as node, sum(r.result::bigint) as rows, sum(s.shard_size) as bytes
    from pg_partition_tree('documents') t
    cross join lateral run_command_on_shards(t.relid, 'select count(*) from %s') r
    join citus_shards s on s.shardid = r.shardid
    where t.isleaf and r.success
    group by 1 order by 1`.execute(db);
  return rows.map((row) => ({ node: row.node, rows: Number(row.rows), bytes: Number(row.bytes) }));
}
