import { sql } from 'kysely';
import type { Db } from '../../src/db/database.js';
import { withTransaction } from '../../src/db/database.js';
import { toVectorParameter } from '../../src/db/vector.js';
import { hnswIndexName, partitionName, type Tenant } from '../../src/tenants/tenant.js';

/**
 * The halfvec lever, measured before it is built into the product: an HNSW index over the
 * embedding cast to half precision (pgvector's "half-precision indexing": the table keeps full
 * vectors, the index takes half the memory), searched with the same cast.
 */
export async function buildHalfvecIndex(db: Db, tenant: Tenant, dimensions: number, hnsw: { m: number; efConstruction: number }) {
  const name = `${hnswIndexName(tenant.id)}_half`;
  await sql`create index ${sql.id(name)} on ${sql.table(partitionName(tenant.id))}
    using hnsw ((embedding::halfvec(${sql.lit(dimensions)})) halfvec_cosine_ops)
    with (m = ${sql.lit(hnsw.m)}, ef_construction = ${sql.lit(hnsw.efConstruction)})`.execute(db);
  return name;
}

export async function indexBytes(db: Db, name: string): Promise<number> {
  const { rows } = await sql<{ bytes: string }>`select pg_relation_size(to_regclass(${name})) as bytes`.execute(db);
  return Number(rows[0]?.bytes ?? 0);
}

export async function dropIndex(db: Db, name: string): Promise<void> {
  await sql`drop index if exists ${sql.id(name)}`.execute(db);
}

/** The tenant's k nearest by the half-precision index, external ids closest first. */
export function searchHalfvec(db: Db, tenant: Tenant, vector: readonly number[], k: number, dimensions: number): Promise<string[]> {
  return withTransaction(db, async (trx) => {
    await sql`select set_config('hnsw.ef_search', ${String(tenant.efSearch)}, true)`.execute(trx);
    const half = sql`halfvec(${sql.lit(dimensions)})`;
    const { rows } = await sql<{ external_id: string }>`
      select external_id from ${sql.table(partitionName(tenant.id))}
      order by embedding::${half} <=> ${toVectorParameter(vector)}::vector::${half} limit ${k}`.execute(trx);
    return rows.map((row) => row.external_id);
  });
}
