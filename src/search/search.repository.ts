import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { VectorParameter } from '../db/vector.js';
import { DOCUMENT_COLUMNS, type DocumentRow } from '../db/schema.js';
import type { DocumentId } from '../documents/document.js';
import { SHARED_SHARD, type TenantShard } from '../tenants/tenant.js';
import type { DistanceMetric } from '../db/vector.js';
import { type VectorLayout, candidateDepth, indexOrdering, plannerSettings } from '../db/vector-storage.js';
import type { MetadataFilter } from './metadata-filter.js';
import { compileMetadataFilter } from './metadata-filter.sql.js';
import { notExpired } from '../documents/document-expiry.sql.js';

// As pgvector/kysely writes them, but on this module's (ESM) kysely: that helper requires the
// CommonJS build, and mixing the two builds' query nodes is the dual-package hazard.
const DISTANCE: Record<DistanceMetric, (vector: VectorParameter) => RawBuilder<number>> = {
  cosine: (vector) => sql<number>`embedding <=> ${vector}`,
  l2: (vector) => sql<number>`embedding <-> ${vector}`,
  inner_product: (vector) => sql<number>`embedding <#> ${vector}`,
};

export type SearchParams = {
  /** The query vector: binary (toVectorParameter) or text as read back from the database. */
  vector: VectorParameter;
  /** A document to leave out (the one whose neighbours are asked for). */
  excludeId?: DocumentId;
  limit: number;
  metric: DistanceMetric;
  /**
   * How the deployment indexes embeddings: what a dedicated search orders by (db/vector-storage.ts).
   * Absent: by the exact distance, which is what a float32 index up to 2,000 dimensions serves.
   */
  vectors?: VectorLayout;
  /** Metadata containment (`metadata @> filter`). */
  filter?: Record<string, unknown>;
  /** A typed metadata condition tree. */
  where?: MetadataFilter;
};

export type SearchRow = DocumentRow & { distance: number };

/** A keyword search's query vector is null when its text was not embedded: its rows' distance is then null. */
export type KeywordSearchParams = Omit<SearchParams, 'vector'> & { vector: VectorParameter | null; text: string };

function distanceOrNull(params: Pick<KeywordSearchParams, 'metric' | 'vector'>): RawBuilder<number | null> {
  return params.vector === null ? sql<null>`null::float8` : DISTANCE[params.metric](params.vector);
}

/**
 * An integer written into the statement's text. Only for values the server itself decides (a
 * tenant's shard and id, a validated page size), where the planner should see the value: the limit
 * too, so that a prepared search's generic plan is costed for the page it returns.
 */
function integerLiteral(value: number) {
  if (!Number.isSafeInteger(value)) throw new Error(`Not an integer: ${value}`);
  return sql.lit(value);
}

/** The tenant's rows that pass the filters: every search and count starts here. */
function matchingDocuments(db: Db, shard: TenantShard, params: Pick<SearchParams, 'filter' | 'where' | 'excludeId'>) {
  let query = db
    .selectFrom('documents')
    // The shard prunes the plan to one partition (and, in the shared pool, tenant_id to one hash
    // bucket), however many tenants there are. Written into the text, not bound, they prune when
    // the statement is planned, so a plan kept for a prepared statement is a plan of one
    // partition: a generic plan over bound values would span every partition.
    .where('shard', '=', integerLiteral(shard.shard))
    .where('tenant_id', '=', integerLiteral(shard.tenantId))
    .where(notExpired());
  if (params.filter) query = query.where(sql<boolean>`metadata @> ${JSON.stringify(params.filter)}::jsonb`);
  if (params.where) query = query.where(compileMetadataFilter(params.where));
  if (params.excludeId) query = query.where('id', '<>', params.excludeId);
  return query;
}

/** searchDocuments' statement unrun (to be compiled and pipelined). */
export function searchQuery(db: Db, shard: TenantShard, params: SearchParams) {
  const distance = DISTANCE[params.metric](params.vector);
  const page = matchingDocuments(db, shard, params).select(DOCUMENT_COLUMNS).select(distance.as('distance'));
  // A dedicated partition's HNSW index serves `order by <distance> limit k`; ordering by the
  // output column reuses its expression, so the vector is sent (and parsed) once. The shared pool
  // has no HNSW index: its order is the exact one, whatever the layout.
  if (!params.vectors || params.vectors.kind === 'vector' || shard.shard === SHARED_SHARD) return page.orderBy('distance').limit(integerLiteral(params.limit));
  // A half-precision or binary index orders by its own expression: take its candidates, then
  // re-rank them by the exact distance (pgvector's re-ranking pattern). Same rows out as above.
  const candidates = page
    .orderBy(indexOrdering(params.vectors, params.vector))
    .limit(integerLiteral(candidateDepth(params.vectors, params.limit)));
  const reranked = db.selectFrom(candidates.as('candidates')).selectAll().orderBy('distance').limit(integerLiteral(params.limit));
  return reranked as unknown as ReturnType<typeof page.limit>;
}

/** The tenant's documents nearest to the vector, closest first, as the planner sees fit to find them. */
export async function searchDocuments(db: Db, shard: TenantShard, params: SearchParams): Promise<SearchRow[]> {
  return searchQuery(db, shard, params).execute();
}

/**
 * The exact answer: every matching row's distance, then the k smallest. The MATERIALIZED CTE
 * keeps the planner from answering through the HNSW index; the window count reports how many
 * rows were compared.
 */
export async function searchDocumentsExactly(
  db: Db,
  shard: TenantShard,
  params: SearchParams,
): Promise<{ rows: SearchRow[]; candidates: number }> {
  return exactSearchResult(await exactSearchQuery(db, shard, params).execute());
}

/** searchDocumentsExactly's statement unrun; exactSearchResult reads its rows. */
export function exactSearchQuery(db: Db, shard: TenantShard, params: SearchParams) {
  const distance = DISTANCE[params.metric](params.vector);
  return db
    .with(
      (cte) => cte('candidates').materialized(),
      () => matchingDocuments(db, shard, params).select(DOCUMENT_COLUMNS).select(distance.as('distance')),
    )
    .selectFrom('candidates')
    .selectAll()
    .select(sql<string>`count(*) over ()`.as('candidate_count'))
    .orderBy('distance')
    .limit(integerLiteral(params.limit));
}

export function exactSearchResult(rows: (SearchRow & { candidate_count?: string })[]): { rows: SearchRow[]; candidates: number } {
  return { rows, candidates: Number(rows[0]?.candidate_count ?? 0) };
}

/** How many of the tenant's rows pass the filters, counting no further than cap. */
export async function countMatches(
  db: Db,
  shard: TenantShard,
  params: Pick<SearchParams, 'filter' | 'where' | 'excludeId'>,
  cap: number,
): Promise<number> {
  const { count } = await db
    .selectFrom(matchingDocuments(db, shard, params).select(sql`1`.as('one')).limit(cap).as('matches'))
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

/**
 * The plan of exactly the query searchDocuments runs, for routing and index checks, with its
 * planning time (summary) so benchmarks can show that planning does not grow with tenants.
 */
export async function explainSearch(db: Db, shard: TenantShard, params: SearchParams): Promise<unknown> {
  const [row] = await searchQuery(db, shard, params).explain<{ 'QUERY PLAN': unknown }>('json', sql`summary true`);
  return row?.['QUERY PLAN'];
}

/**
 * The settings of an HNSW search, by name: set transaction-locally (the tenant session does),
 * so a pooled or multiplexed connection does not carry them over. Out-of-line layouts add the
 * planner's (db/vector-storage.ts plannerSettings).
 */
export function vectorSearchSettings(efSearch: number, iterativeScan: boolean, vectors?: VectorLayout): Record<string, string> {
  return {
    'hnsw.ef_search': String(efSearch),
    'hnsw.iterative_scan': iterativeScan ? 'strict_order' : 'off',
    ...(vectors ? plannerSettings(vectors) : {}),
  };
}

/** A document's stored embedding in pgvector's text form, to search with as it is. */
export async function findDocumentEmbedding(db: Db, shard: TenantShard, id: DocumentId): Promise<string | undefined> {
  const row = await db
    .selectFrom('documents')
    .select(sql<string>`embedding::text`.as('embedding'))
    .where('shard', '=', shard.shard)
    .where('tenant_id', '=', shard.tenantId)
    .where('id', '=', id)
    .where(notExpired())
    .executeTakeFirst();
  return row?.embedding;
}

export type KeywordRow = DocumentRow & { distance: number | null; keyword_score: number };

/**
 * The tenant's documents matching any of the text's terms, best ts_rank first (normalized by
 * document length), each with its vector distance (null without a query vector). An OR of the terms, not plainto_tsquery's
 * AND: a question's words rarely all appear in the passage that answers it.
 */
export async function searchKeyword(
  db: Db,
  shard: TenantShard,
  params: KeywordSearchParams & { textSearchConfig: string },
): Promise<KeywordRow[]> {
  const terms = sql`replace(plainto_tsquery(${params.textSearchConfig}::regconfig, ${params.text})::text, '&', '|')::tsquery`;
  const rank = sql<number>`ts_rank(content_tsv, ${terms}, 1)`;
  return matchingDocuments(db, shard, params)
    .select(DOCUMENT_COLUMNS)
    .select(distanceOrNull(params).as('distance'))
    .select(rank.as('keyword_score'))
    .where(sql<boolean>`content_tsv @@ ${terms}`)
    .orderBy('keyword_score', 'desc')
    .orderBy('id')
    .limit(params.limit)
    .execute();
}

/**
 * The bm25 index (pg_textsearch) of the table that holds the tenant's rows: its partition, or its
 * bucket of the shared pool. pg_textsearch resolves a query against one index, and the parent's
 * partitioned index has no storage of its own; undefined when there is none (or no rows).
 */
export async function findBm25IndexName(db: Db, shard: TenantShard): Promise<string | undefined> {
  const { rows } = await sql<{ index_name: string }>`
    select index_class.relname as index_name
    from pg_index i
    join pg_class index_class on index_class.oid = i.indexrelid
    join pg_am am on am.oid = index_class.relam
    where am.amname = 'bm25'
      and i.indrelid = (select tableoid from documents where shard = ${shard.shard} and tenant_id = ${shard.tenantId} limit 1)`.execute(db);
  return rows[0]?.index_name;
}

/**
 * BM25 ranking (pg_textsearch). Where the tenant's partition is its own and nothing filters it,
 * the index returns the top k directly (block-max WAND). Otherwise every matching row is scored
 * and sorted: a top k taken from a shared bucket, or before a filter, could come back short.
 */
export async function searchBm25(
  db: Db,
  shard: TenantShard,
  params: KeywordSearchParams & { indexName: string; indexOrdered: boolean },
): Promise<KeywordRow[]> {
  // pg_textsearch scores are negated BM25 (smaller is better); 0 means no term matched.
  const bm25 = sql<number>`content <@> to_bm25query(${params.text}, ${params.indexName})`;
  const distance = distanceOrNull(params);
  if (params.indexOrdered) {
    // Non-matching rows (score 0) come last in index order and are dropped here: a `< 0` filter
    // in SQL would score every row again (20 ms instead of 2 for 3,000 documents).
    const rows = await matchingDocuments(db, shard, params)
      .select(DOCUMENT_COLUMNS)
      .select(distance.as('distance'))
      .select(sql<number>`-(${bm25})`.as('keyword_score'))
      .orderBy(bm25)
      .limit(params.limit)
      .execute();
    return rows.filter((row) => row.keyword_score > 0);
  }
  return db
    .with(
      (cte) => cte('scored').materialized(),
      () =>
        matchingDocuments(db, shard, params)
          .select(DOCUMENT_COLUMNS)
          .select(distance.as('distance'))
          .select(sql<number>`-(${bm25})`.as('keyword_score')),
    )
    .selectFrom('scored')
    .selectAll()
    .where('keyword_score', '>', 0)
    .orderBy('keyword_score', 'desc')
    .orderBy('id')
    .limit(params.limit)
    .execute();
}
