import { type VectorLayout, candidateDepth } from '../db/vector-storage.js';
import { HNSW_LIMITS, type Tenant } from '../tenants/tenant.js';
import { vectorSearchSettings } from './search.repository.js';

export const SEARCH_MODES = ['VECTOR', 'KEYWORD', 'HYBRID'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

export const SEARCH_LIMITS = { first: { min: 1, max: 1000, default: 10 }, queryLength: 10_000 } as const;

/** How many hits per requested group a grouped search reads before grouping. */
const GROUPING_DEPTH = 5;

/** Default ef_search of a filtered HNSW search (an explicit efSearch argument wins). */
const FILTERED_MIN_EF_SEARCH = 100;

/** How a vector search walks the graph, if it does (a SHARED tenant's, or a narrow filter's, is exact). */
export type VectorPlan = {
  /** hnsw.ef_search: HNSW returns at most this many rows. */
  efSearch: number;
  /**
   * With a filter, pgvector 0.8's iterative scan keeps walking the graph until enough rows pass
   * it, instead of filtering ef_search candidates and returning a short page.
   */
  iterativeScan: boolean;
  /** Whether the session opens with the graph walk's settings; if not, they are set just before it. */
  preset: boolean;
};

/** A search's plan, computed once from the tenant and the validated arguments. */
export type SearchPlan = {
  mode: SearchMode;
  /** Hits asked for. */
  first: number;
  /** Rows read before shaping: a grouped search reads deeper so enough groups survive. */
  depth: number;
  /** HYBRID: candidates each ranking contributes to the fusion. */
  candidates: number;
  /** null in KEYWORD mode: its text is not embedded, no graph is walked. */
  vector: VectorPlan | null;
  /** Transaction-local settings the tenant session opens with. */
  settings: Readonly<Record<string, string>>;
  /**
   * Whether the whole search may be one statement (an unfiltered VECTOR search: a SHARED tenant's
   * exact scan, or a DEDICATED tenant's graph walk when it fills the page).
   */
  oneStatement: boolean;
};

export type PlanArguments = {
  mode: SearchMode;
  first: number;
  filtered: boolean;
  grouped: boolean;
  /** The efSearch argument, already range-checked; undefined: the tenant's. */
  efSearch: number | undefined;
  /** How the deployment indexes embeddings (db/vector-storage.ts); absent: full vectors, nothing re-ranked. */
  vectors?: VectorLayout | undefined;
};

/** The plan of a search (search.service.ts's search). Pure. */
export function planSearch(tenant: Pick<Tenant, 'efSearch'>, args: PlanArguments): SearchPlan {
  const { mode, first, filtered } = args;
  const depth = args.grouped ? Math.min(SEARCH_LIMITS.first.max, first * GROUPING_DEPTH) : first;
  // A filter discards part of each candidate list, so filtered walks start wider (measured on
  // 20,000 clustered 512-d vectors, 20% filter: recall@10 0.93 at ef_search 40, 0.99 at 100).
  const requested = args.efSearch ?? (filtered ? Math.max(tenant.efSearch, FILTERED_MIN_EF_SEARCH) : tenant.efSearch);
  // HYBRID fuses deeper candidate lists than the page.
  const candidates = mode === 'HYBRID' ? Math.min(SEARCH_LIMITS.first.max, Math.max(depth * 2, 100)) : depth;
  const efSearch = efSearchFor(requested, indexCandidates(args.vectors, candidates));
  if (mode === 'KEYWORD') return { mode, first, depth, candidates, vector: null, settings: {}, oneStatement: false };
  // A VECTOR search's settings go with opening the tenant's session: one round trip fewer (the
  // session's opening applies them as the engine needs: migrations 0012, 0015). HYBRID sets them
  // only if it walks the graph.
  const preset = mode === 'VECTOR';
  const vector = { efSearch, iterativeScan: filtered, preset };
  return {
    mode,
    first,
    depth,
    candidates,
    vector,
    settings: preset ? vectorSearchSettings(efSearch, filtered, args.vectors) : {},
    oneStatement: preset && !filtered,
  };
}

/** The plan of a search for a document's neighbours: one more candidate than asked for, since the document itself is left out. */
export function planSimilarSearch(tenant: Pick<Tenant, 'efSearch'>, first: number, vectors?: VectorLayout): VectorPlan {
  return { efSearch: efSearchFor(tenant.efSearch, indexCandidates(vectors, first + 1)), iterativeScan: false, preset: false };
}

/** The plan of explain (the graph walk a DEDICATED tenant's search runs), settings set in the session. */
export function planExplain(tenant: Pick<Tenant, 'efSearch'>, args: Omit<PlanArguments, 'mode' | 'grouped'>): VectorPlan {
  const { efSearch } = planSearch(tenant, { ...args, mode: 'VECTOR', grouped: false }).vector as VectorPlan;
  return { efSearch, iterativeScan: args.filtered, preset: false };
}

/** Rows the index is asked for: a binary index re-ranks a deeper list than the page (db/vector-storage.ts). */
function indexCandidates(vectors: VectorLayout | undefined, rows: number): number {
  return vectors ? candidateDepth(vectors, rows) : rows;
}

/** HNSW returns at most ef_search rows: never let it be smaller than the rows asked for. */
function efSearchFor(requested: number, rows: number): number {
  return Math.min(HNSW_LIMITS.efSearch.max, Math.max(requested, rows));
}
