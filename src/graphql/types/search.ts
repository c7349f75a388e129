import { type SearchHit, search, searchSimilar } from '../../search/search.service.js';
import { builder } from '../builder.js';
import { DocumentRef } from './document.js';

// Shareable: a subgraph that hangs its own semantic search off its types may return these too.
const SearchHitRef = builder.objectRef<SearchHit>('SearchHit').implement({
  description: 'One ranked match.',
  shareable: true,
  fields: (t) => ({
    rank: t.exposeInt('rank', { description: 'Position in the results, from 1.' }),
    distance: t.exposeFloat('distance', {
      description: 'Vector distance under the deployment metric (cosine by default); smaller is closer.',
    }),
    score: t.exposeFloat('score', {
      description: 'Similarity, larger is closer: 1 - distance for cosine, 1 / (1 + distance) for l2, the inner product for ip.',
    }),
    document: t.field({ type: DocumentRef, description: 'The matched document.', resolve: (hit) => hit.document }),
  }),
});

const SearchResultRef = builder.objectRef<{ hits: SearchHit[] }>('SearchResult').implement({
  description: 'The result of a search.',
  shareable: true,
  fields: (t) => ({
    hits: t.field({
      type: [SearchHitRef],
      description: 'Matches ordered by distance, closest first.',
      resolve: (result) => result.hits,
    }),
  }),
});

builder.queryField('search', (t) =>
  t.field({
    type: SearchResultRef,
    description: "Semantic search over the caller's documents, by text (embedded server-side) or by vector.",
    args: {
      query: t.arg.string({ required: false, description: 'Text to search for. Give exactly one of query and vector.' }),
      vector: t.arg.floatList({ required: false, description: "A query vector of the deployment's dimension." }),
      first: t.arg.int({ required: false, defaultValue: 10, description: 'How many hits, 1-1000.' }),
      filter: t.arg({
        type: 'JSON',
        required: false,
        description: 'A JSON object the metadata must contain (jsonb @>), e.g. {"lang": "en"}.',
      }),
      efSearch: t.arg.int({
        required: false,
        description: "HNSW candidate list size, 1-1000 (default: the tenant's; never below `first`).",
      }),
    },
    resolve: async (_root, args, ctx) => ({ hits: await search(ctx.deps, ctx.loaders, await ctx.tenant(), args) }),
  }),
);

builder.objectField(DocumentRef, 'similar', (t) =>
  t.field({
    type: SearchResultRef,
    description: "The caller's documents nearest to this one (itself left out), closest first.",
    args: { first: t.arg.int({ required: false, defaultValue: 10, description: 'How many hits, 1-1000.' }) },
    resolve: async (doc, args, ctx) => ({ hits: await searchSimilar(ctx.deps, await ctx.tenant(), doc.id, args) }),
  }),
);
