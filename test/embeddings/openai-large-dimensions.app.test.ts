import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropFreshDatabase, freshDatabaseUrl } from '../helpers/fresh-database.js';
import { type OpenAiEmbeddingsServer, embeddingFor, startOpenAiEmbeddingsServer } from '../helpers/openai-embeddings-server.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

// The whole server on a hosted model's sizes (text-embedding-3-large's 3,072; 4,096), against a
// local server speaking OpenAI's protocol: each on a database of its own, since a database keeps
// the dimension it was created with. The demo is seeded, as `npm start` does.

const UPSERT = 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id externalId } } }';
const SEARCH = `query($q: String, $v: [Float!], $m: SearchMode) {
  search(query: $q, vector: $v, mode: $m, first: 3) { hits { distance document { externalId } } info { strategy mode } }
}`;
const CONTENTS = ['glacier ice cores', 'volcanic ash layers', 'coral reef bleaching', 'desert dune migration', 'river delta sediment'];

describe.each([3072, 4096])('%i dimensions through an OpenAI-compatible server', (dimensions) => {
  let provider: OpenAiEmbeddingsServer;
  let t: TestApp;
  let url: string | undefined;

  beforeAll(async () => {
    url = await freshDatabaseUrl(`openai_${dimensions}`);
    provider = await startOpenAiEmbeddingsServer({ dimensions });
    t = await startTestApp({
      embedder: null,
      env: {
        EMBEDDING_PROVIDER: 'openai',
        EMBEDDING_BASE_URL: provider.baseUrl,
        EMBEDDING_MODEL: 'text-embedding-3-large',
        EMBEDDING_DIMENSIONS: String(dimensions),
        SEED_DEMO: 'true',
        ...(url ? { DATABASE_URL: url } : {}),
      },
    });
  }, 300_000);
  afterAll(async () => {
    expect(t.unexpectedErrors).toEqual([]);
    await t?.close();
    await provider?.close();
    await dropFreshDatabase(url);
  });

  /** Every search mode finds the document whose text is the query; VECTOR by its own vector too. */
  async function expectEveryMode(slug: string, strategy: string) {
    for (const mode of ['VECTOR', 'KEYWORD', 'HYBRID']) {
      const result = await t.as(slug)(SEARCH, { q: 'glacier ice cores', m: mode });
      expect(result.errors).toBeUndefined();
      expect(result.data!.search.hits[0].document.externalId).toBe('d0');
      expect(result.data!.search.info).toEqual({ strategy: mode === 'KEYWORD' ? 'EXACT' : strategy, mode });
    }
    const byVector = await t.as(slug)(SEARCH, { v: embeddingFor('coral reef bleaching', dimensions) });
    expect(byVector.data!.search.hits[0].document.externalId).toBe('d2');
    expect(byVector.data!.search.hits[0].distance).toBeCloseTo(0, 5);
    const byClientVector = await t.as(slug)(SEARCH, { v: embeddingFor('client side text', dimensions) });
    expect(byClientVector.data!.search.hits[0].document.externalId).toBe('client');
    const similar = await t.as(slug)(`query($id: ID!) { document(id: $id) { similar(first: 2) { hits { document { externalId } } } } }`, {
      id: (await t.as(slug)('{ documents(first: 1) { edges { node { id } } } }')).data!.documents.edges[0].node.id,
    });
    expect(similar.errors).toBeUndefined();
    expect(similar.data!.document.similar.hits).toHaveLength(2);
  }

  async function load(slug: string) {
    const byText = await t.as(slug)(UPSERT, { d: CONTENTS.map((content, i) => ({ externalId: `d${i}`, content })) });
    expect(byText.errors).toBeUndefined();
    const byVector = await t.as(slug)(UPSERT, { d: [{ externalId: 'client', content: 'embedded by the client', embedding: embeddingFor('client side text', dimensions) }] });
    expect(byVector.errors).toBeUndefined();
  }

  it('seeds the demo tenant and serves it', async () => {
    const result = await t.as('demo')('{ search(query: "whales", first: 1) { hits { rank } } }');
    expect(result.errors).toBeUndefined();
    expect(result.data!.search.hits).toHaveLength(1);
  });

  it('serves a SHARED tenant, promotes it, re-embeds and demotes it', async () => {
    const slug = await t.createTenant('large');
    await load(slug);
    await expectEveryMode(slug, 'EXACT');

    const promoted = await t.admin('mutation($s: String!) { promoteTenant(slug: $s) { placement } }', { s: slug });
    expect(promoted.errors).toBeUndefined();
    expect(promoted.data!.promoteTenant.placement).toBe('DEDICATED');
    await expectEveryMode(slug, 'HNSW');

    // As if an earlier model had embedded them: the re-embedding writes full-size vectors in place.
    await sql`update documents set embedding_model = 'retired-model'
      where external_id like 'd%' and tenant_id = (select id from tenants where slug = ${slug})`.execute(t.db);
    const reembedded = await t.admin('mutation($s: String!) { reembedTenant(slug: $s) { reembedded remaining } }', { s: slug });
    expect(reembedded.data!.reembedTenant).toEqual({ reembedded: CONTENTS.length, remaining: 0 });
    await expectEveryMode(slug, 'HNSW');

    const demoted = await t.admin('mutation($s: String!) { demoteTenant(slug: $s) { placement } }', { s: slug });
    expect(demoted.data!.demoteTenant.placement).toBe('SHARED');
    await expectEveryMode(slug, 'EXACT');
  });

  it('serves a tenant created DEDICATED', async () => {
    const slug = await t.createTenant('large-dedicated', { placement: 'DEDICATED' });
    await load(slug);
    await expectEveryMode(slug, 'HNSW');
  });
});
