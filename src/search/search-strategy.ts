import type { Database } from '../db/database.js';
import type { Tenant, TenantShard } from '../tenants/tenant.js';
import { type SessionStatement, type TenantSession, inTenantSession } from '../tenants/tenant-session.js';
import type { VectorPlan } from './search-plan.js';
import {
  type SearchParams,
  type SearchRow,
  countMatches,
  exactSearchQuery,
  exactSearchResult,
  searchDocuments,
  searchDocumentsExactly,
  searchQuery,
  vectorSearchSettings,
} from './search.repository.js';

export type SearchStrategy = 'EXACT' | 'HNSW' | 'HNSW_ITERATIVE';

/** What a search did, so a short or slow answer is never a mystery. */
export type SearchInfo = {
  strategy: SearchStrategy;
  /** hnsw.ef_search used; null for an exact scan. */
  efSearch: number | null;
  /** Rows whose distance was computed; known for exact scans only. */
  candidatesScanned: number | null;
  /** Whether min(first, matching documents) hits came back. */
  complete: boolean;
  /** Why this strategy, or why the answer fell back to another. */
  reason: string;
};

/**
 * Above this many matching rows a filtered search walks the HNSW graph; at or below it, comparing
 * them all is cheap and complete. A filter that leaves few rows is exactly where a graph walk
 * returns a short page: most candidates it finds are filtered out.
 */
export const EXACT_SCAN_LIMIT = 2000;

/**
 * Chooses how to answer a vector search and runs it, in the tenant's session:
 * - SHARED tenant: exact (there is no vector index; the tenant is small by construction);
 * - DEDICATED, no filter: the HNSW index;
 * - DEDICATED, filter matching at most EXACT_SCAN_LIMIT rows: exact over those rows;
 * - DEDICATED, looser filter: HNSW with pgvector's iterative scan, which keeps walking the graph
 *   until enough rows pass the filter.
 * If a graph walk still comes back short while more rows match, the exact scan answers instead:
 * a page is never silently short.
 */
export async function runVectorSearch(session: TenantSession, params: SearchParams, plan: VectorPlan): Promise<VectorFound> {
  const { db, shard, tenant } = session;
  const exact = async (reason: string) => {
    const { rows, candidates } = await searchDocumentsExactly(db, shard, params);
    return { rows, info: { strategy: 'EXACT' as const, efSearch: null, candidatesScanned: candidates, complete: true, reason } };
  };
  if (tenant.placement === 'SHARED') return exact(EXACT_SHARED.reason);
  const filtered = params.filter !== undefined || params.where !== undefined;
  if (filtered) {
    const matches = await countMatches(db, shard, params, EXACT_SCAN_LIMIT + 1);
    if (matches <= EXACT_SCAN_LIMIT) return exact(`filter matches ${matches} documents: all compared`);
  }
  const strategy: SearchStrategy = filtered ? 'HNSW_ITERATIVE' : 'HNSW';
  if (!plan.preset) await session.setLocal(vectorSearchSettings(plan.efSearch, filtered, params.vectors));
  const rows = await searchDocuments(db, shard, params);
  if (rows.length === params.limit) return fullGraphPage(rows, strategy, plan.efSearch);
  const info = { strategy, efSearch: plan.efSearch, candidatesScanned: null, complete: true };
  // A short page: either the tenant has no more matching rows, or the graph walk stopped early.
  const available = await countMatches(db, shard, params, params.limit);
  if (available <= rows.length) return { rows, info: { ...info, reason: `only ${available} documents match` } };
  return exact(`${strategy} found ${rows.length} of at least ${available} matches; answered by exact scan`);
}

export type VectorFound = { rows: SearchRow[]; info: SearchInfo };

/**
 * An unfiltered vector search as one statement (TenantSessionPlan.statement): a SHARED tenant's
 * exact scan, or a DEDICATED tenant's graph walk when it fills the page, with the search settings
 * applied as the session opens. Its read is undefined when a graph walk came back short: then
 * runVectorSearch finds out why and answers in full.
 */
export function vectorSearchStatement(database: Database, params: SearchParams, plan: VectorPlan): SessionStatement<VectorFound, SearchRow> {
  return {
    build: (shard, assumed) => (assumed.placement === 'SHARED' ? exactSearchQuery(database.db, shard, params) : searchQuery(database.db, shard, params)),
    read: (rows, tenant) => {
      if (tenant.placement === 'SHARED') {
        const exact = exactSearchResult(rows);
        return { rows: exact.rows, info: { ...EXACT_SHARED, candidatesScanned: exact.candidates } };
      }
      return rows.length === params.limit ? fullGraphPage(rows, 'HNSW', plan.efSearch) : undefined;
    },
    pipelinedSettings: PLAN_ONCE,
    ...(params.filter || params.where || params.excludeId ? {} : { shape: (shard, assumed) => ({ key: searchShapeKey(params, shard, assumed), bound: params.vector }) }),
  };
}

/** Everything an unfiltered search's text depends on; its one bound value is the query vector. */
function searchShapeKey(params: SearchParams, shard: TenantShard, assumed: Tenant): string {
  const layout = params.vectors ? `${params.vectors.kind} ${params.vectors.storage} ${params.vectors.dimensions}` : 'exact-order';
  return `vector-search ${assumed.placement} ${shard.tenantId}/${shard.shard} ${params.metric} ${params.limit} ${layout}`;
}

/**
 * An unfiltered vector search in one round trip where the engine allows (vectorSearchStatement),
 * undefined when its graph walk came back short. For benchmarks and tests of that path alone;
 * prepare: false sends its statements unnamed (bench/search/search.ts measures what preparing saves).
 */
export async function runVectorSearchInOneRoundTrip(
  database: Database,
  tenant: Tenant,
  params: SearchParams,
  plan: VectorPlan,
  options: { prepare?: boolean } = {},
): Promise<VectorFound | undefined> {
  const statement = { ...vectorSearchStatement(database, params, plan), ...options };
  // Unprepared, it is planned at each run anyway: plan_cache_mode would only force a generic plan.
  if (options.prepare === false) delete statement.pipelinedSettings;
  return inTenantSession(database, tenant, { settings: vectorSearchSettings(plan.efSearch, plan.iterativeScan, params.vectors), statement });
}

/**
 * The pipelined search is prepared once per connection (src/db/pipeline.ts), and its text names
 * the tenant's shard and the page size: what is left bound, the query vector, does not change the
 * plan. So it is planned once, where PostgreSQL's default plans each of the first five calls anew
 * (and every call, were the generic plan's estimate ever the higher). Transaction-local, like the
 * search's other settings.
 */
// Only where the search is pipelined and prepared (SessionStatement.pipelinedSettings). Where the
// session is a transaction nothing is prepared; on a distributed engine the setting would only
// reach the worker and make it plan the forwarded, parameterized query generically.
const PLAN_ONCE = { plan_cache_mode: 'force_generic_plan' };

const EXACT_SHARED = { strategy: 'EXACT', efSearch: null, complete: true, reason: 'shared tenant: every matching document compared' } as const;

function fullGraphPage(rows: SearchRow[], strategy: SearchStrategy, efSearch: number): VectorFound {
  const reason = strategy === 'HNSW_ITERATIVE' ? 'loose filter: iterative graph walk' : 'HNSW index';
  return { rows, info: { strategy, efSearch, candidatesScanned: null, complete: true, reason } };
}
