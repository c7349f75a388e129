import { toVectorParameter } from '../db/vector.js';
import { candidateDepth } from '../db/vector-storage.js';
import type { Document, DocumentId } from '../documents/document.js';
import { toDocument } from '../documents/document.service.js';
import { validateMetadata, validateVector } from '../documents/document-input.js';
import type { EmbeddingLoaders } from '../embeddings/embedding-loaders.js';
import { estimateEmbeddingTokens } from '../tenants/usage-recorder.js';
import { badUserInput, checkIntegerRange } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import { HNSW_LIMITS, type Tenant } from '../tenants/tenant.js';
import { type TenantSessionPlan, inTenantSession } from '../tenants/tenant-session.js';
import { scoreFromDistance } from './distance.js';
import { sampleOfPage } from './recall-sampler.js';
import { validateMetadataFilter } from './metadata-filter.js';
import { autocut, bestPerGroup, groupKey, unscorableNote, withoutUnscorable } from './result-shaping.js';
import { type Fusion, type KeywordRanking, type RankedRow, runHybridSearch, runKeywordSearch } from './hybrid-search.js';
import { SEARCH_LIMITS, type SearchMode, type SearchPlan, planExplain, planSearch, planSimilarSearch } from './search-plan.js';
import { type SearchInfo, runVectorSearch, vectorSearchStatement } from './search-strategy.js';
import { type SearchParams, type SearchRow, explainSearch, findDocumentEmbedding, vectorSearchSettings } from './search.repository.js';

export type SearchArgs = {
  query?: string | null;
  vector?: readonly number[] | null;
  first?: number | null;
  filter?: unknown;
  where?: unknown;
  efSearch?: number | null;
  mode?: SearchMode | null;
  /** Metadata path: return only the best hit per distinct value (e.g. per source document). */
  groupBy?: readonly string[] | null;
  /** Cut the page after this many sharp drops in score. */
  autocut?: number | null;
  fusion?: {
    method?: 'RRF' | 'WEIGHTED' | null;
    k?: number | null;
    alpha?: number | null;
    vectorTrust?: number | null;
  } | null;
};

export type SearchHit = {
  rank: number;
  /** Null in KEYWORD mode: its query text is not embedded. */
  distance: number | null;
  score: number | null;
  /** Keyword relevance; null in VECTOR mode or when the text did not match the document. */
  keywordScore: number | null;
  /** The fused score HYBRID ranks by; null in the other modes. */
  fusedScore: number | null;
  document: Document;
};

export type SearchResult = {
  hits: SearchHit[];
  info: SearchInfo & { mode: SearchMode; keywordRanking: KeywordRanking | null };
};

/** The tenant's documents nearest to a text (embedded here) or a vector, closest first. */
export async function search(
  deps: ServiceDeps,
  loaders: EmbeddingLoaders,
  tenant: Tenant,
  args: SearchArgs,
): Promise<SearchResult> {
  const request = validateSearch(deps, args);
  // KEYWORD ranks by text alone: embedding its query would only cost the model's time (and fail
  // with the provider down) for a distance nobody ranks by, so its hits carry none.
  const vector = request.mode === 'KEYWORD' ? null : (request.vector ?? (await loaders.queries.load(request.query as string)));
  const plan = planSearch(tenant, request.plan);
  const found = await inTenantSession(deps.database, tenant, searchSession(deps, plan, request, vector));
  deps.onSearch?.({ strategy: found.info.strategy, mode: plan.mode });
  // Recall is measured on the searches that walk the graph at the tenant's own ef_search: an
  // unfiltered VECTOR search with no efSearch argument (a filtered walk starts wider).
  if (vector && found.info.strategy === 'HNSW' && found.info.efSearch !== null && request.plan.efSearch === undefined && !request.plan.filtered) {
    const effective = found.info.efSearch;
    deps.recall?.offer(tenant, () => sampleOfPage(tenant, vector, found.rows, plan.first, effective));
  }
  // Tokens only for a query text this search embedded (not KEYWORD's, not a client's vector).
  const embeddedText = request.mode !== 'KEYWORD' && !request.vector ? [request.query as string] : [];
  deps.usage?.recordSearch(tenant.id, estimateEmbeddingTokens(embeddedText));
  return shapeResult(deps, found, plan, request.shaping);
}

type Found = { rows: HitRow[]; info: SearchInfo; keywordRanking: KeywordRanking | null };

/** What the tenant session runs for a search: the plan's one statement where it may answer alone, else its mode's work. */
function searchSession(
  deps: ServiceDeps,
  plan: SearchPlan,
  request: ValidSearch,
  vector: readonly number[] | null,
): TenantSessionPlan<Found, SearchRow> {
  const base = { ...request.params, limit: plan.depth };
  const text = { text: request.query as string, textSearchConfig: deps.textSearchConfig };
  if (vector === null || plan.vector === null) {
    return { settings: plan.settings, run: (session) => runKeywordSearch(session, { ...base, ...text, vector: null }) };
  }
  const params: SearchParams = { ...base, vector: toVectorParameter(vector) };
  const vectorPlan = plan.vector;
  if (plan.mode === 'HYBRID') {
    return { settings: plan.settings, run: (session) => runHybridSearch(session, { ...params, ...text }, { ...plan, vector: vectorPlan }, request.fusion) };
  }
  const withoutRanking = <F extends Omit<Found, 'keywordRanking'>>(found: F) => ({ ...found, keywordRanking: null });
  const statement = vectorSearchStatement(deps.database, params, vectorPlan);
  return {
    settings: plan.settings,
    // The most common search, by vector with no filter, takes one round trip where it can.
    ...(plan.oneStatement ? { statement: { ...statement, read: (rows, tenant) => mapDefined(statement.read(rows, tenant), withoutRanking) } } : {}),
    run: async (session) => withoutRanking(await runVectorSearch(session, params, vectorPlan)),
  };
}

function mapDefined<A, B>(value: A | undefined, fn: (value: A) => B): B | undefined {
  return value === undefined ? undefined : fn(value);
}

/** Groups, cuts and scores the rows found, and says whether the page is complete and why. */
function shapeResult(deps: ServiceDeps, found: Found, plan: SearchPlan, shaping: Shaping): SearchResult {
  const { first, depth, mode } = plan;
  const { info, keywordRanking } = found;
  const { rows, unscorable } = withoutUnscorable<HitRow>(found.rows);
  const shaped = shapeRows<HitRow>(rows, shaping, first, mode);
  const grouped = info.complete && (!shaping.groupBy || shaped.length === first || found.rows.length < depth);
  const complete = grouped && (unscorable === 0 || shaped.length === first);
  const notes = [
    ...(grouped === info.complete ? [] : [`only ${shaped.length} groups among the ${depth} best hits`]),
    ...(unscorable === 0 ? [] : [unscorableNote(unscorable)]),
  ];
  const reason = [info.reason, ...notes].join('; ');
  return {
    hits: toHits(deps, shaped),
    info: { ...info, complete, reason, mode, keywordRanking },
  };
}

type Shaping = { groupBy: readonly string[] | undefined; autocut: number | undefined };

function validateShaping(args: SearchArgs): Shaping {
  const groupBy = args.groupBy ?? undefined;
  if (groupBy && (groupBy.length === 0 || groupBy.length > 16 || groupBy.some((key) => key === '' || key.length > 256))) {
    throw badUserInput('groupBy', 'must be a path of 1-16 non-empty keys of at most 256 characters');
  }
  const cut = args.autocut ?? undefined;
  if (cut !== undefined) checkIntegerRange('autocut', cut, { min: 1, max: 100 });
  return { groupBy, autocut: cut };
}

/** A row of any mode: its distance is null in KEYWORD mode; the scores are there in KEYWORD and HYBRID. */
type HitRow = Omit<SearchRow, 'distance'> & Partial<Pick<RankedRow, 'keywordScore' | 'fusedScore'>> & { distance: number | null };

function shapeRows<R extends HitRow>(
  rows: R[],
  shaping: Shaping,
  first: number,
  mode: SearchMode,
): R[] {
  const { groupBy } = shaping;
  const grouped = groupBy ? bestPerGroup(rows, (row) => groupKey(row.metadata, groupBy, row.id), first) : rows.slice(0, first);
  if (shaping.autocut === undefined) return grouped;
  const scoreOf = (row: R) =>
    mode === 'HYBRID' ? (row.fusedScore ?? 0) : mode === 'KEYWORD' ? (row.keywordScore ?? 0) : -(row.distance ?? 0);
  return autocut(grouped, scoreOf, shaping.autocut);
}

function validateFusion(fusion: SearchArgs['fusion'], defaultVectorTrust: number): Fusion {
  if (fusion?.method === 'RRF') {
    const k = fusion.k ?? 60;
    checkIntegerRange('fusion.k', k, { min: 1, max: 1000 });
    return { method: 'RRF', k };
  }
  const alpha = fusion?.alpha ?? undefined;
  const vectorTrust = fusion?.vectorTrust ?? undefined;
  if (alpha !== undefined && vectorTrust !== undefined) {
    throw badUserInput('fusion', 'give alpha (fixed weights) or vectorTrust (evidence weights), not both');
  }
  if (alpha !== undefined) {
    if (!(alpha >= 0 && alpha <= 1)) throw badUserInput('fusion.alpha', `must be from 0 to 1, got ${alpha}`);
    return { method: 'WEIGHTED', alpha };
  }
  if (vectorTrust !== undefined && !(vectorTrust >= 0 && vectorTrust <= 100)) {
    throw badUserInput('fusion.vectorTrust', `must be from 0 to 100, got ${vectorTrust}`);
  }
  return { method: 'WEIGHTED', vectorTrust: vectorTrust ?? defaultVectorTrust };
}

/** The tenant's documents nearest to one of its documents (itself left out); empty if it has none. */
export async function searchSimilar(
  deps: ServiceDeps,
  tenant: Tenant,
  documentId: DocumentId,
  args: { first?: number | null },
): Promise<SearchResult> {
  const first = args.first ?? SEARCH_LIMITS.first.default;
  checkIntegerRange('first', first, SEARCH_LIMITS.first);
  const { rows, info } = await inTenantSession(deps.database, tenant, {
    run: async (session) => {
      // The stored vector goes back as text: no parse on this side, and no second embedding.
      const vector = await findDocumentEmbedding(session.db, session.shard, documentId);
      if (vector === undefined) {
        return { rows: [], info: { strategy: 'EXACT' as const, efSearch: null, candidatesScanned: 0, complete: true, reason: 'no such document' } };
      }
      const params = { vector, limit: first, metric: deps.metric, vectors: deps.vectors, excludeId: documentId };
      return runVectorSearch(session, params, planSimilarSearch(session.tenant, first, deps.vectors));
    },
  });
  deps.onSearch?.({ strategy: info.strategy, mode: 'VECTOR' });
  deps.usage?.recordSearch(tenant.id, 0);
  const scorable = withoutUnscorable(rows);
  const reason = scorable.unscorable === 0 ? info.reason : `${info.reason}; ${unscorableNote(scorable.unscorable)}`;
  const complete = info.complete && (scorable.unscorable === 0 || scorable.rows.length === first);
  return { hits: toHits(deps, scorable.rows), info: { ...info, complete, reason, mode: 'VECTOR', keywordRanking: null } };
}

function toHits(deps: ServiceDeps, rows: HitRow[]): SearchHit[] {
  return rows.map((row, index) => ({
    rank: index + 1,
    distance: row.distance,
    score: row.distance === null ? null : scoreFromDistance(deps.metric, row.distance),
    keywordScore: row.keywordScore ?? null,
    fusedScore: row.fusedScore ?? null,
    document: toDocument(row),
  }));
}

/**
 * The plan of the index-assisted vector search (the query a DEDICATED tenant's unfiltered search
 * runs), with planning time: for routing checks and planning benchmarks. Exact scans
 * (searchDocumentsExactly) are not what it shows.
 */
export async function explain(deps: ServiceDeps, tenant: Tenant, args: SearchArgs & { vector: readonly number[] }) {
  const { params, vector, plan } = validateSearchInput(deps, args);
  const { efSearch, iterativeScan } = planExplain(tenant, plan);
  return inTenantSession(deps.database, tenant, {
    run: async (session) => {
      await session.setLocal(vectorSearchSettings(efSearch, iterativeScan, deps.vectors));
      return explainSearch(session.db, session.shard, { ...params, vector: toVectorParameter(vector as number[]) });
    },
  });
}

type ValidSearch = ReturnType<typeof validateSearch>;

function validateSearch(deps: ServiceDeps, args: SearchArgs) {
  const mode = args.mode ?? 'VECTOR';
  // HYBRID may take both: a client that embeds on its own side ranks the vector side by its vector
  // and the keyword side by its words, and no embedding call is made.
  const input = validateSearchInput(deps, args, { bothAllowed: mode === 'HYBRID' });
  if (mode !== 'VECTOR' && input.query === null) throw badUserInput('query', `${mode} search needs query text`);
  const fusion = validateFusion(args.fusion, deps.hybridVectorTrust);
  const shaping = validateShaping(args);
  return { ...input, mode, fusion, shaping, plan: { ...input.plan, mode, grouped: Boolean(shaping.groupBy) } };
}

function validateSearchInput(deps: ServiceDeps, args: SearchArgs, options: { bothAllowed?: boolean } = {}) {
  const hasQuery = args.query !== null && args.query !== undefined;
  const hasVector = args.vector !== null && args.vector !== undefined;
  if (hasQuery && hasVector && !options.bothAllowed) {
    throw badUserInput('query', 'give exactly one of query and vector, not both (only HYBRID takes both: the vector ranks, the words match)');
  }
  // A vector variable sent as null (an example run without filling it in) is about the vector.
  if (!hasQuery && args.vector === null) {
    throw badUserInput('vector', `is null: give a vector of ${deps.embedder.dimensions} numbers, or query text instead (exactly one of query and vector)`);
  }
  if (!hasQuery && !hasVector) throw badUserInput('query', 'give exactly one of query and vector: neither was given');
  if (hasQuery) {
    const query = args.query as string;
    if (query.trim() === '') throw badUserInput('query', 'must not be empty');
    if (query.length > SEARCH_LIMITS.queryLength) {
      throw badUserInput('query', `must be at most ${SEARCH_LIMITS.queryLength} characters`);
    }
  }
  const first = args.first ?? SEARCH_LIMITS.first.default;
  checkIntegerRange('first', first, SEARCH_LIMITS.first);
  if (args.efSearch !== null && args.efSearch !== undefined) checkIntegerRange('efSearch', args.efSearch, HNSW_LIMITS.efSearch);
  const filter = args.filter === null || args.filter === undefined ? undefined : validateMetadata('filter', args.filter);
  const where = args.where === null || args.where === undefined ? undefined : validateMetadataFilter(args.where, 'where');
  const vector = hasVector ? [...validateVector('vector', args.vector as number[], deps.embedder.dimensions, deps.metric)] : null;
  return {
    query: hasQuery ? (args.query as string) : null,
    vector,
    params: { limit: first, metric: deps.metric, vectors: deps.vectors, ...(filter ? { filter } : {}), ...(where ? { where } : {}) },
    plan: { first, filtered: filter !== undefined || where !== undefined, efSearch: args.efSearch ?? undefined, vectors: deps.vectors },
  };
}
