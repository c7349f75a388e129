import { type Db, canPipeline } from '../db/database.js';
import type { Tenant, TenantShard } from '../tenants/tenant.js';
import { queryInTenantScope } from '../tenants/tenant-scope.js';
import {
  type SearchParams,
  type SearchRow,
  countMatches,
  exactSearchQuery,
  exactSearchResult,
  searchDocuments,
  searchDocumentsExactly,
  searchQuery,
  setSearchSettings,
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
 * Chooses how to answer a vector search and runs it, inside the caller's transaction:
 * - SHARED tenant: exact (there is no vector index; the tenant is small by construction);
 * - DEDICATED, no filter: the HNSW index;
 * - DEDICATED, filter matching at most EXACT_SCAN_LIMIT rows: exact over those rows;
 * - DEDICATED, looser filter: HNSW with pgvector's iterative scan, which keeps walking the graph
 *   until enough rows pass the filter.
 * If a graph walk still comes back short while more rows match, the exact scan answers instead:
 * a page is never silently short.
 */
export async function runVectorSearch(
  trx: Db,
  tenant: Tenant,
  scope: TenantShard,
  params: SearchParams,
  options: { efSearch: number; citus: boolean; settingsApplied?: boolean },
): Promise<{ rows: SearchRow[]; info: SearchInfo }> {
  const exact = async (reason: string) => {
    const { rows, candidates } = await searchDocumentsExactly(trx, scope, params);
    return { rows, info: { strategy: 'EXACT' as const, efSearch: null, candidatesScanned: candidates, complete: true, reason } };
  };
  if (tenant.placement === 'SHARED') return exact(EXACT_SHARED.reason);
  const filtered = params.filter !== undefined || params.where !== undefined;
  if (filtered) {
    const matches = await countMatches(trx, scope, params, EXACT_SCAN_LIMIT + 1);
    if (matches <= EXACT_SCAN_LIMIT) return exact(`filter matches ${matches} documents: all compared`);
  }
  const strategy: SearchStrategy = filtered ? 'HNSW_ITERATIVE' : 'HNSW';
  if (!options.settingsApplied) {
    await setSearchSettings(trx, { efSearch: options.efSearch, iterativeScan: filtered, vectors: params.vectors }, { citus: options.citus });
  }
  const rows = await searchDocuments(trx, scope, params);
  if (rows.length === params.limit) return fullGraphPage(rows, strategy, options.efSearch);
  const info = { strategy, efSearch: options.efSearch, candidatesScanned: null, complete: true };
  // A short page: either the tenant has no more matching rows, or the graph walk stopped early.
  const available = await countMatches(trx, scope, params, params.limit);
  if (available <= rows.length) return { rows, info: { ...info, reason: `only ${available} documents match` } };
  return exact(`${strategy} found ${rows.length} of at least ${available} matches; answered by exact scan`);
}

/**
 * An unfiltered vector search in one round trip (see queryInTenantScope): a SHARED tenant's exact
 * scan, or a DEDICATED tenant's graph walk when it fills the page, with the search settings
 * applied by the scope's statement. Undefined when a graph walk came back short: the caller runs
 * runVectorSearch, which finds out why and answers in full.
 */
export async function runVectorSearchInOneRoundTrip(
  db: Db,
  knownTenant: Tenant,
  params: SearchParams,
  options: { efSearch: number; settings: Readonly<Record<string, string>> },
): Promise<{ rows: SearchRow[]; info: SearchInfo } | undefined> {
  const { rows, tenant } = await queryInTenantScope(
    db,
    knownTenant,
    (scope, assumed) => (assumed.placement === 'SHARED' ? exactSearchQuery(db, scope, params) : searchQuery(db, scope, params)),
    { ...options.settings, ...(canPipeline(db) ? PLAN_ONCE : {}) },
  );
  if (tenant.placement === 'SHARED') {
    const exact = exactSearchResult(rows);
    return { rows: exact.rows, info: { ...EXACT_SHARED, candidatesScanned: exact.candidates } };
  }
  return rows.length === params.limit ? fullGraphPage(rows, 'HNSW', options.efSearch) : undefined;
}

/**
 * The pipelined search is prepared once per connection (src/db/pipeline.ts), and its text names
 * the tenant's shard and the page size: what is left bound, the query vector, does not change the
 * plan. So it is planned once, where PostgreSQL's default plans each of the first five calls anew
 * (and every call, were the generic plan's estimate ever the higher). Transaction-local, like the
 * search's other settings.
 */
// Only where the search is pipelined and prepared. On Citus nothing is prepared (it runs in a
// transaction), and the setting would only reach the worker and make it plan the forwarded,
// parameterized query generically.
const PLAN_ONCE = { plan_cache_mode: 'force_generic_plan' };

const EXACT_SHARED = { strategy: 'EXACT', efSearch: null, complete: true, reason: 'shared tenant: every matching document compared' } as const;

function fullGraphPage(rows: SearchRow[], strategy: SearchStrategy, efSearch: number): { rows: SearchRow[]; info: SearchInfo } {
  const reason = strategy === 'HNSW_ITERATIVE' ? 'loose filter: iterative graph walk' : 'HNSW index';
  return { rows, info: { strategy, efSearch, candidatesScanned: null, complete: true, reason } };
}
