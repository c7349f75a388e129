import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAiEmbeddingsServer, startOpenAiEmbeddingsServer } from '../helpers/openai-embeddings-server.js';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

// The whole server configured for a hosted provider, against a local server speaking its protocol.
// The test database's dimension (the default embedder's 512): an external test database is shared
// by every test file, and a database keeps the dimension it was created with.
const DIMENSIONS = 512;
let provider: OpenAiEmbeddingsServer;
let t: TestApp;
let slug: string;
beforeAll(async () => {
  provider = await startOpenAiEmbeddingsServer({ dimensions: DIMENSIONS, apiKey: 'sk-test-key' });
  t = await startTestApp({
    embedder: null,
    env: {
      EMBEDDING_PROVIDER: 'openai',
      EMBEDDING_BASE_URL: provider.baseUrl,
      EMBEDDING_MODEL: 'text-embedding-test',
      EMBEDDING_API_KEY: 'sk-test-key',
      EMBEDDING_DIMENSIONS: String(DIMENSIONS),
      EMBEDDING_MAX_RETRIES: '1',
      EMBEDDING_TIMEOUT_MS: '300',
      EMBEDDING_CIRCUIT_FAILURES: '4',
      EMBEDDING_CIRCUIT_COOLDOWN_MS: '60000',
      // Wide enough that concurrent requests meet in one batch despite the single embedded connection.
      EMBEDDING_BATCH_WINDOW_MS: '50',
    },
  });
  slug = await t.createTenant('hosted');
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
  await provider.close();
});

const UPSERT = 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }';
const COUNT = '{ tenant { documentCount embeddingModel } }';

describe('a deployment embedding with an OpenAI-compatible server', () => {
  it('embeds documents and queries through it, recording its model', async () => {
    const written = await t.as(slug)(UPSERT, { d: [{ externalId: 'a', content: 'hosted whales' }, { externalId: 'b', content: 'hosted bread' }] });
    expect(written.errors).toBeUndefined();
    const found = await t.as(slug)('{ search(query: "hosted whales", first: 1) { hits { document { externalId embeddingModel } } } }');
    expect(found.errors).toBeUndefined();
    expect(found.data!.search.hits[0].document).toEqual({ externalId: 'a', embeddingModel: 'text-embedding-test' });
    const last = provider.requests.at(-1)!;
    expect(last.headers.authorization).toBe('Bearer sk-test-key');
    expect(last.body).toMatchObject({ model: 'text-embedding-test', input: ['hosted whales'] });
    expect((await t.as(slug)(COUNT)).data!.tenant).toEqual({ documentCount: 2, embeddingModel: 'text-embedding-test' });
  });

  it('embeds the queries of concurrent requests in one provider request', async () => {
    const before = provider.requests.length;
    const texts = ['shared one', 'shared two', 'shared three'];
    const results = await Promise.all(texts.map((q) => t.as(slug)('query($q: String!) { search(query: $q) { hits { rank } } }', { q })));
    for (const result of results) expect(result.errors).toBeUndefined();
    const sent = provider.requests.slice(before).map((request) => [...request.inputs].sort());
    expect(sent).toEqual([[...texts].sort()]);
  });

  it.each([
    ['a wrong vector count', { kind: 'wrong-count' }],
    ['a wrong dimension', { kind: 'wrong-dimension', dimensions: 8 }],
    ['malformed JSON', { kind: 'malformed-json' }],
  ] as const)('answers EMBEDDING_UNAVAILABLE to %s and writes nothing', async (_name, reply) => {
    provider.script(reply);
    const result = await t.as(slug)(UPSERT, { d: [{ content: `never stored ${reply.kind}` }, { content: 'nor this' }] });
    expect(errorCode(result)).toBe('EMBEDDING_UNAVAILABLE');
    expect((await t.as(slug)(COUNT)).data!.tenant.documentCount).toBe(2);
  });

  it('opens the circuit after repeated failures: text searches fail fast, vector searches keep working', async () => {
    provider.otherwise({ kind: 'server-error', status: 503 });
    for (let i = 0; i < 2; i++) {
      expect(errorCode(await t.as(slug)('query($q: String!) { search(query: $q) { hits { rank } } }', { q: `outage ${i}` }))).toBe(
        'EMBEDDING_UNAVAILABLE',
      );
    }
    const requestsBefore = provider.requests.length;
    const started = performance.now();
    const refused = await t.as(slug)('{ search(query: "while the circuit is open") { hits { rank } } }');
    const refusedMs = performance.now() - started;
    expect(errorCode(refused)).toBe('EMBEDDING_UNAVAILABLE');
    expect(refused.errors![0]!.message).toMatch(/circuit/i);
    expect(provider.requests.length).toBe(requestsBefore);
    console.log(`text search refused by the open circuit in ${refusedMs.toFixed(1)} ms`);
    const byVector = await t.as(slug)('query($v: [Float!]) { search(vector: $v, first: 2) { hits { rank } } }', {
      v: Array.from({ length: DIMENSIONS }, (_, i) => (i === 0 ? 1 : 0)),
    });
    expect(byVector.errors).toBeUndefined();
    expect(byVector.data!.search.hits).toHaveLength(2);
  });
});
