import type { TenantSession } from '../tenants/tenant-session.js';
import { type Weighting, reciprocalRankFusion, weightedFusion } from './fusion.js';
import type { SearchPlan, VectorPlan } from './search-plan.js';
import { type SearchInfo, runVectorSearch } from './search-strategy.js';
import {
  type KeywordRow,
  type KeywordSearchParams,
  type SearchParams,
  type SearchRow,
  findBm25IndexName,
  searchBm25,
  searchKeyword,
} from './search.repository.js';

/** How keyword relevance was ranked: BM25 where the engine has pg_textsearch, else ts_rank. */
export type KeywordRanking = 'BM25' | 'TS_RANK';

export type Fusion = { method: 'RRF'; k: number } | ({ method: 'WEIGHTED' } & Weighting);

/** distance is null in a KEYWORD search: its text is not embedded. */
export type RankedRow = Omit<SearchRow, 'distance'> & { distance: number | null; keywordScore: number | null; fusedScore: number | null };

type TextParams = SearchParams & { text: string; textSearchConfig: string };
type KeywordParams = KeywordSearchParams & { textSearchConfig: string };

/** Keyword search alone: every document matching a term, ranked; complete by construction. */
export async function runKeywordSearch(
  session: TenantSession,
  params: KeywordParams,
): Promise<{ rows: RankedRow[]; info: SearchInfo; keywordRanking: KeywordRanking }> {
  const { rows, ranking } = await keywordRows(session, params);
  return {
    rows: rows.map((row) => ({ ...row, keywordScore: row.keyword_score, fusedScore: null })),
    info: { strategy: 'EXACT', efSearch: null, candidatesScanned: null, complete: true, reason: `keyword match over content (${ranking})` },
    keywordRanking: ranking,
  };
}

/** BM25 where the tenant's table has a bm25 index, else ts_rank over the tsvector column. */
async function keywordRows({ db, shard, tenant }: TenantSession, params: KeywordParams): Promise<{ rows: KeywordRow[]; ranking: KeywordRanking }> {
  const indexName = await findBm25IndexName(db, shard);
  if (indexName === undefined) return { rows: await searchKeyword(db, shard, params), ranking: 'TS_RANK' };
  const unfiltered = !params.filter && !params.where && !params.excludeId;
  const indexOrdered = tenant.placement === 'DEDICATED' && unfiltered;
  return { rows: await searchBm25(db, shard, { ...params, indexName, indexOrdered }), ranking: 'BM25' };
}

/**
 * Vector and keyword search, each asked for a deeper candidate list than the page (the plan's
 * candidates), fused into one ranking. Each hit keeps its vector distance, its keyword score (null
 * when the text did not match) and the fused score.
 */
export async function runHybridSearch(
  session: TenantSession,
  params: TextParams,
  plan: Pick<SearchPlan, 'candidates'> & { vector: VectorPlan },
  fusion: Fusion,
): Promise<{ rows: RankedRow[]; info: SearchInfo; keywordRanking: KeywordRanking }> {
  const vector = await runVectorSearch(session, { ...params, limit: plan.candidates }, plan.vector);
  const { rows: keyword, ranking } = await keywordRows(session, { ...params, limit: plan.candidates });
  const vectorRanked = vector.rows.map((row) => ({ id: row.id, score: -row.distance }));
  const keywordRanked = keyword.map((row) => ({ id: row.id, score: row.keyword_score }));
  const fused =
    fusion.method === 'RRF'
      ? reciprocalRankFusion([vectorRanked, keywordRanked], fusion.k)
      : weightedFusion(vectorRanked, keywordRanked, fusion);
  const byId = new Map<string, SearchRow | KeywordRow>([...vector.rows, ...keyword].map((row) => [row.id, row]));
  const keywordScores = new Map(keyword.map((row) => [row.id, row.keyword_score]));
  const rows = fused.slice(0, params.limit).map(({ id, score }) => ({
    ...(byId.get(id) as SearchRow),
    keywordScore: keywordScores.get(id) ?? null,
    fusedScore: score,
  }));
  const how =
    fusion.method === 'RRF'
      ? `reciprocal rank fusion (k ${fusion.k})`
      : 'alpha' in fusion
        ? `weighted score fusion (alpha ${fusion.alpha})`
        : `evidence-weighted score fusion (vector trust ${fusion.vectorTrust})`;
  return {
    rows,
    info: {
      ...vector.info,
      complete: rows.length === Math.min(params.limit, byId.size),
      reason: `${how} of ${vector.info.strategy} and ${ranking} candidates`,
    },
    keywordRanking: ranking,
  };
}
