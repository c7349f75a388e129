import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database.js';
import { transactionLocalSettingStatements } from '../db/citus.js';
import { DOCUMENT_COLUMNS, type DocumentRow } from '../documents/document.repository.js';
import type { DocumentId } from '../documents/document.js';
import type { TenantShard } from '../tenants/tenant.js';
import type { DistanceMetric } from './distance.js';

// As pgvector/kysely writes them, but on this module's (ESM) kysely: that helper requires the
// CommonJS build, and mixing the two builds' query nodes is the dual-package hazard.
const DISTANCE: Record<DistanceMetric, (vector: string) => RawBuilder<number>> = {
  cosine: (vector) => sql<number>`embedding <=> ${vector}`,
  l2: (vector) => sql<number>`embedding <-> ${vector}`,
  inner_product: (vector) => sql<number>`embedding <#> ${vector}`,
};

export type SearchParams = {
  /** pgvector's text form (toVectorParameter), as sent to or read from the database. */
  vector: string;
  /** A document to leave out (the one whose neighbours are asked for). */
  excludeId?: DocumentId;
  limit: number;
  metric: DistanceMetric;
  /** Metadata containment (`metadata @> filter`). */
  filter?: Record<string, unknown>;
};

export type SearchRow = DocumentRow & { distance: number };

function searchQuery(db: Db, scope: TenantShard, params: SearchParams) {
  const distance = DISTANCE[params.metric](params.vector);
  let query = db
    .selectFrom('documents')
    .select(DOCUMENT_COLUMNS)
    .select(distance.as('distance'))
    // The shard prunes the plan to one partition (and, in the shared pool, tenant_id to one hash
    // bucket). A dedicated partition's HNSW index then serves `order by <distance> limit k`; in
    // the shared pool there is no vector index, so the search is an exact scan of the tenant's rows.
    .where('shard', '=', scope.shard)
    .where('tenant_id', '=', scope.tenantId);
  if (params.filter) query = query.where(sql<boolean>`metadata @> ${JSON.stringify(params.filter)}::jsonb`);
  if (params.excludeId) query = query.where('id', '<>', params.excludeId);
  // Ordering by the output column reuses its expression: the vector is sent (and parsed) once.
  return query.orderBy('distance').limit(params.limit);
}

/** The tenant's documents nearest to the vector, closest first. */
export async function searchDocuments(db: Db, scope: TenantShard, params: SearchParams): Promise<SearchRow[]> {
  return searchQuery(db, scope, params).execute();
}

/**
 * The plan of exactly the query searchDocuments runs, for routing and index checks, with its
 * planning time (summary) so benchmarks can show that planning does not grow with tenants.
 */
export async function explainSearch(db: Db, scope: TenantShard, params: SearchParams): Promise<unknown> {
  const [row] = await searchQuery(db, scope, params).explain<{ 'QUERY PLAN': unknown }>('json', sql`summary true`);
  return row?.['QUERY PLAN'];
}

/** Transaction-local HNSW settings: a pooled or multiplexed session must not carry them over. */
export async function setSearchSettings(
  db: Db,
  settings: { efSearch: number; iterativeScan: boolean },
  options: { citus: boolean },
): Promise<void> {
  const iterativeScan = settings.iterativeScan ? 'strict_order' : 'off';
  if (options.citus) {
    // The query runs on a worker, and Citus forwards only SET LOCAL statements, not set_config().
    const statements = transactionLocalSettingStatements({ 'hnsw.ef_search': settings.efSearch, 'hnsw.iterative_scan': iterativeScan });
    for (const statement of statements) await statement.execute(db);
    return;
  }
  // One round trip for both settings.
  await sql`select set_config('hnsw.ef_search', ${String(settings.efSearch)}, true),
    set_config('hnsw.iterative_scan', ${iterativeScan}, true)`.execute(db);
}

/** A document's stored embedding in pgvector's text form, to search with as it is. */
export async function findDocumentEmbedding(db: Db, scope: TenantShard, id: DocumentId): Promise<string | undefined> {
  const row = await db
    .selectFrom('documents')
    .select(sql<string>`embedding::text`.as('embedding'))
    .where('shard', '=', scope.shard)
    .where('tenant_id', '=', scope.tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.embedding;
}
