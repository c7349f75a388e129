import type { SearchStrategy } from '../../search/search-strategy.js';
import { SEARCH_LIMITS, type SearchMode } from '../../search/search-plan.js';
import { type SearchHit, type SearchResult, search, searchSimilar } from '../../search/search.service.js';
import { builder } from '../builder.js';
import { type TenantSearchHit, searchMany } from '../../search/search-many.service.js';
import { requireTenantBySlug } from '../../tenants/tenant.service.js';
import type { QueryFieldBuilder } from '../builder.js';
import { DocumentRef } from './document.js';
import { TenantRef } from './tenant.js';
import { MetadataFilterInput } from './metadata-filter.js';

// Shareable: a subgraph that hangs its own semantic search off its types may return these too.
const SearchHitRef = builder.objectRef<SearchHit>('SearchHit').implement({
  description: 'One ranked match.',
  shareable: true,
  fields: (t) => ({
    rank: t.exposeInt('rank', { description: 'Position in the results, from 1.' }),
    distance: t.exposeFloat('distance', {
      nullable: true,
      description:
        'Vector distance under the deployment metric (cosine by default); smaller is closer. Null in KEYWORD mode, which does not embed the query text.',
    }),
    score: t.exposeFloat('score', {
      nullable: true,
      description:
        'Similarity, larger is closer: 1 - distance for cosine, 1 / (1 + distance) for l2, the inner product for ip. Null in KEYWORD mode.',
    }),
    keywordScore: t.exposeFloat('keywordScore', {
      nullable: true,
      description: 'Keyword relevance (ts_rank); null in VECTOR mode or when the text did not match this document.',
    }),
    fusedScore: t.exposeFloat('fusedScore', { nullable: true, description: 'The fused score HYBRID ranks by; null in other modes.' }),
    document: t.field({ type: DocumentRef, description: 'The matched document.', resolve: (hit) => hit.document }),
  }),
});

const SearchStrategyEnum = builder.enumType('SearchStrategy', {
  description: 'How a search was answered.',
  values: {
    EXACT: { description: 'Every matching document compared: complete, 100% recall.' },
    HNSW: {
      description:
        "The tenant's HNSW index (approximate nearest neighbours). It holds full vectors up to 2,000 dimensions, half-precision ones from 2,001 to 4,000 (and at any size up to 4,000 with VECTOR_STORAGE=float16: half the memory), one bit a dimension beyond 4,000 (1/32 of the memory); distances are always exact, the candidates re-ranked by the full vector.",
    },
    HNSW_ITERATIVE: { description: 'The HNSW index with an iterative scan that walks on until enough rows pass the filter.' },
  } satisfies Record<SearchStrategy, unknown>,
});

const SearchModeEnum = builder.enumType('SearchMode', {
  description: 'What a search ranks by.',
  values: {
    VECTOR: { description: 'Vector distance to the query text (embedded) or vector.' },
    KEYWORD: { description: 'Full-text relevance of the query text over content.' },
    HYBRID: { description: 'Both, fused into one ranking.' },
  } satisfies Record<SearchMode, unknown>,
});

const KeywordRankingEnum = builder.enumType('KeywordRanking', {
  description: 'The keyword relevance function used.',
  values: {
    BM25: { description: 'BM25 from the pg_textsearch extension (the embedded engine has it).' },
    TS_RANK: { description: "PostgreSQL's ts_rank over an OR of the query's terms, normalized by document length." },
  },
});

const FusionMethodEnum = builder.enumType('FusionMethod', {
  description: 'How HYBRID combines the two rankings.',
  values: {
    RRF: { description: 'Reciprocal rank fusion: sum of 1 / (k + rank).' },
    WEIGHTED: {
      description: "Weighted sum of normalized scores; weights from alpha, or from each ranking's evidence for the query when alpha is omitted.",
    },
  },
});

const FusionInput = builder.inputType('FusionInput', {
  description: 'Fusion settings for HYBRID search.',
  fields: (t) => ({
    method: t.field({ type: FusionMethodEnum, required: false, description: 'Default WEIGHTED.' }),
    k: t.int({ required: false, description: 'RRF constant, 1-1000 (default 60).' }),
    alpha: t.float({ required: false, description: "WEIGHTED: the vector ranking's fixed weight, 0-1; omitted: weighted by evidence." }),
    vectorTrust: t.float({
      required: false,
      description:
        "WEIGHTED by evidence: how far the embedder's evidence counts against keyword ranking, 0-100 (1: equal). " +
        'Default: measured for the deployment\'s embedder (HYBRID_VECTOR_TRUST).',
    }),
  }),
});

const SearchInfoRef = builder.objectRef<SearchResult['info']>('SearchInfo').implement({
  description: 'What a search did: a short page is never silent.',
  shareable: true,
  fields: (t) => ({
    strategy: t.expose('strategy', { type: SearchStrategyEnum, description: 'How the hits were found.' }),
    efSearch: t.exposeInt('efSearch', { nullable: true, description: 'hnsw.ef_search used; null for an exact scan.' }),
    candidatesScanned: t.exposeInt('candidatesScanned', {
      nullable: true,
      description: 'Documents whose distance was computed (exact scans); null when the index chose.',
    }),
    complete: t.exposeBoolean('complete', { description: 'Whether min(first, matching documents) hits came back.' }),
    reason: t.exposeString('reason', { description: 'Why this strategy, or why the answer fell back to another.' }),
    mode: t.expose('mode', { type: SearchModeEnum, description: 'The search mode that ran.' }),
    keywordRanking: t.expose('keywordRanking', {
      type: KeywordRankingEnum,
      nullable: true,
      description: 'How keyword relevance was ranked (KEYWORD and HYBRID modes).',
    }),
  }),
});

const SearchResultRef = builder.objectRef<SearchResult>('SearchResult').implement({
  description: 'The result of a search.',
  shareable: true,
  fields: (t) => ({
    info: t.field({ type: SearchInfoRef, description: 'How the search was answered.', resolve: (result) => result.info }),
    hits: t.field({
      type: [SearchHitRef],
      description: 'Matches ordered by distance, closest first.',
      resolve: (result) => result.hits,
    }),
  }),
});

// The arguments search and searchMany share.
function searchArgs(t: QueryFieldBuilder) {
  return {
    query: t.arg.string({ required: false, description:
        'Text to search for. Give exactly one of query and vector, except in HYBRID, which takes both: the vector ranks the vector side, the text the keyword side, and nothing is embedded.',
    }),
    vector: t.arg.floatList({
      required: false,
      description: "A query vector of the deployment's dimension, values within ±1e15; under cosine, not a zero vector (it has no direction).",
    }),
    first: t.arg.int({ required: false, defaultValue: 10, description: 'How many hits, 1-1000.', extensions: { range: SEARCH_LIMITS.first } }),
    filter: t.arg({
      type: 'JSON',
      required: false,
      description: 'A JSON object the metadata must contain (jsonb @>), e.g. {"lang": "en"}.',
    }),
    where: t.arg({
      type: MetadataFilterInput,
      required: false,
      description: 'A typed condition tree over metadata (eq, in, gt, exists, contains, prefix, and/or/not, nested paths).',
    }),
    mode: t.arg({ type: SearchModeEnum, required: false, defaultValue: 'VECTOR', description: 'VECTOR, KEYWORD or HYBRID.' }),
    fusion: t.arg({ type: FusionInput, required: false, description: 'How HYBRID fuses its two rankings.' }),
    groupBy: t.arg.stringList({
      required: false,
      description: 'A metadata path (e.g. ["source"]): only the best hit per distinct value is returned.',
    }),
    autocut: t.arg.int({ required: false, description: 'Cut the hits after this many sharp drops in score (1-100).' }),
    efSearch: t.arg.int({
      required: false,
      description: "HNSW candidate list size, 1-1000 (default: the tenant's; never below `first`, nor, above 4,000 dimensions, below the 20 x first candidates (at least 200) the binary index re-ranks).",
    }),
  };
}

builder.queryField('search', (t) =>
  t.field({
    type: SearchResultRef,
    description: "Semantic search over the caller's documents, by text (embedded server-side) or by vector.",
    args: searchArgs(t),
    resolve: async (_root, args, ctx) => search(ctx.deps, ctx.loaders, await ctx.tenant(), args),
  }),
);

builder.objectField(DocumentRef, 'similar', (t) =>
  t.field({
    type: SearchResultRef,
    description: "The caller's documents nearest to this one (itself left out), closest first.",
    args: {
      first: t.arg.int({ required: false, defaultValue: 10, description: 'How many hits, 1-1000.', extensions: { range: SEARCH_LIMITS.first } }),
    },
    resolve: async (doc, args, ctx) => searchSimilar(ctx.deps, await ctx.tenant(), doc.id, args),
  }),
);

const TenantSearchHitRef = builder.objectRef<TenantSearchHit>('TenantSearchHit').implement({
  description: 'A match from a search over several tenants.',
  fields: (t) => ({
    rank: t.exposeInt('rank', { description: 'Position in the merged results, from 1.' }),
    tenant: t.field({ type: TenantRef, description: 'The tenant the document belongs to.', resolve: (hit) => hit.tenant }),
    distance: t.exposeFloat('distance', { nullable: true, description: 'Vector distance under the deployment metric; null in KEYWORD mode.' }),
    score: t.exposeFloat('score', { nullable: true, description: 'Similarity, larger is closer; null in KEYWORD mode.' }),
    keywordScore: t.exposeFloat('keywordScore', { nullable: true, description: 'Keyword relevance (KEYWORD mode).' }),
    document: t.field({ type: DocumentRef, description: 'The matched document.', resolve: (hit) => hit.document }),
  }),
});

builder.queryField('searchMany', (t) =>
  t.field({
    type: [TenantSearchHitRef],
    description: "Admin: one search over several tenants, each tenant's top hits merged into one ranking.",
    args: {
      tenants: t.arg.stringList({ required: true, description: 'Slugs of the tenants to search (1-100).' }),
      ...searchArgs(t),
    },
    resolve: async (_root, { tenants, ...args }, ctx) => {
      ctx.requireAdmin();
      const resolved = await Promise.all(tenants.map((slug: string) => requireTenantBySlug(ctx.deps, slug)));
      return searchMany(ctx.deps, ctx.loaders, resolved, args);
    },
  }),
);
