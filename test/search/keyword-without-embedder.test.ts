import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAiEmbeddingsServer, startOpenAiEmbeddingsServer } from '../helpers/openai-embeddings-server.js';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

// KEYWORD ranks by the query's text alone: it never asks the embedding provider, so it keeps
// answering while the provider is down (here: the local OpenAI-compatible server, stopped).
// As the test databases store (an external one is shared by every test file).
const DIMENSIONS = 512;
let provider: OpenAiEmbeddingsServer;
let t: TestApp;
let slug: string;
let other: string;
beforeAll(async () => {
  provider = await startOpenAiEmbeddingsServer({ dimensions: DIMENSIONS });
  t = await startTestApp({
    embedder: null,
    env: {
      EMBEDDING_PROVIDER: 'openai',
      EMBEDDING_BASE_URL: provider.baseUrl,
      EMBEDDING_MODEL: 'text-embedding-test',
      EMBEDDING_DIMENSIONS: String(DIMENSIONS),
      EMBEDDING_MAX_RETRIES: '0',
    },
  });
  slug = await t.createTenant('keyword');
  other = await t.createTenant('keyword');
  const upsert = 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }';
  for (const [tenant, prefix] of [[slug, 'a'], [other, 'b']] as const) {
    const d = [
      { externalId: `${prefix}-whales`, content: 'Whales migrate across oceans every year.' },
      { externalId: `${prefix}-bread`, content: 'Sourdough bread needs a lively starter.' },
    ];
    expect((await t.as(tenant)(upsert, { d })).errors).toBeUndefined();
  }
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const keyword = (text: string) =>
  `{ search(query: "${text}", mode: KEYWORD) { hits { distance score keywordScore document { externalId } } info { mode } } }`;

describe('KEYWORD search', () => {
  it('sends nothing to the embedding provider', async () => {
    const before = provider.requests.length;
    const result = await t.as(slug)(keyword('whale migrations'));
    expect(result.errors).toBeUndefined();
    expect(result.data!.search.hits.map((hit: { document: { externalId: string } }) => hit.document.externalId)).toEqual(['a-whales']);
    expect(provider.requests.length).toBe(before);
  });

  it('answers with the provider stopped, its hits carrying no vector distance, while text VECTOR search cannot', async () => {
    await provider.close();
    // Texts never searched before: no cache can answer for the provider.
    const result = await t.as(slug)(keyword('oceans every year'));
    expect(result.errors).toBeUndefined();
    const [hit] = result.data!.search.hits;
    expect(hit).toMatchObject({ distance: null, score: null, document: { externalId: 'a-whales' } });
    expect(hit.keywordScore).toBeGreaterThan(0);
    // The provider is really down: what needs an embedding fails.
    expect(errorCode(await t.as(slug)('{ search(query: "oceans each year") { hits { rank } } }'))).toBe('EMBEDDING_UNAVAILABLE');
    expect(errorCode(await t.as(slug)('{ search(query: "oceans every month", mode: HYBRID) { hits { rank } } }'))).toBe('EMBEDDING_UNAVAILABLE');
  });

  it('answers over several tenants (searchMany) with the provider stopped', async () => {
    const result = await t.admin(
      'query($tenants: [String!]!) { searchMany(tenants: $tenants, query: "whales migrate", mode: KEYWORD) { distance score tenant { slug } document { externalId } } }',
      { tenants: [slug, other] },
    );
    expect(result.errors).toBeUndefined();
    const hits = result.data!.searchMany as { distance: null; score: null; document: { externalId: string } }[];
    expect(hits.map((hit) => hit.document.externalId).sort()).toEqual(['a-whales', 'b-whales']);
    expect(hits.every((hit) => hit.distance === null && hit.score === null)).toBe(true);
  });
});
