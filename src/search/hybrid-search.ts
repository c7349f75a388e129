import type { Db } from '../db/database.js';
import type { Tenant, TenantShard } from '../tenants/tenant.js';
import { type Weighting, reciprocalRankFusion, weightedFusion } from './fusion.js';
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

export const SEARCH_MODES = ['VECTOR', 'KEYWORD', 'HYBRID'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/** How keyword relevance was ranked: BM25 where the engine has pg_textsearch, else ts_rank. */
export type KeywordRanking = 'BM25' | 'TS_RANK';

export type Fusion = { method: 'RRF'; k: number } | ({ method: 'WEIGHTED' } & Weighting);

/** distance is null in a KEYWORD search: its text is not embedded. */
export type RankedRow = Omit<SearchRow, 'distance'> & { distance: number | null; keywordScore: number | null; fusedScore: number | null };

type Context = { trx: Db; tenant: Tenant; scope: TenantShard; efSearch: number; citus: boolean };
type TextParams = SearchParams & { text: string; textSearchConfig: string };
type KeywordParams = KeywordSearchParams & { textSearchConfig: string };

/** Keyword search alone: every document matching a term, ranked; complete by construction. */
export async function runKeywordSearch(
  ctx: Context,
  params: KeywordParams,
): Promise<{ rows: RankedRow[]; info: SearchInfo; keywordRanking: KeywordRanking }> {
  const { rows, ranking } = await keywordRows(ctx, params);
  return {
    rows: rows.map((row) => ({ ...row, keywordScore: row.keyword_score, fusedScore: null })),
    info: { strategy: 'EXACT', efSearch: null, candidatesScanned: null, complete: true, reason: `keyword match over content (${ranking})` },
    keywordRanking: ranking,
  };
}

/** BM25 where the tenant's table has a bm25 index, else ts_rank over the tsvector column. */
async function keywordRows(ctx: Context, params: KeywordParams): Promise<{ rows: KeywordRow[]; ranking: KeywordRanking }> {
  const indexName = await findBm25IndexName(ctx.trx, ctx.scope);
  if (indexName === undefined) return { rows: await searchKeyword(ctx.trx, ctx.scope, params), ranking: 'TS_RANK' };
  const unfiltered = !params.filter && !params.where && !params.excludeId;
  const indexOrdered = ctx.tenant.placement === 'DEDICATED' && unfiltered;
  return { rows: await searchBm25(ctx.trx, ctx.scope, { ...params, indexName, indexOrdered }), ranking: 'BM25' };
}

/**
 * Vector and keyword search, each asked for a deeper candidate list than the page, fused into one
 * ranking. Each hit keeps its vector distance, its keyword score (null when the text did not
 * match) and the fused score.
 */
export async function runHybridSearch(
  ctx: Context,
  params: TextParams,
  fusion: Fusion,
): Promise<{ rows: RankedRow[]; info: SearchInfo; keywordRanking: KeywordRanking }> {
  const depth = Math.min(1000, Math.max(params.limit * 2, 100));
  const efSearch = Math.min(1000, Math.max(ctx.efSearch, depth));
  const vector = await runVectorSearch(ctx.trx, ctx.tenant, ctx.scope, { ...params, limit: depth }, { ...ctx, efSearch });
  const { rows: keyword, ranking } = await keywordRows(ctx, { ...params, limit: depth });
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
