import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedText } from '../helpers/hashing-embedder.js';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const UPSERT = 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }';
const REEMBED = 'mutation($s: String!, $b: Int, $l: Int) { reembedTenant(slug: $s, batchSize: $b, limit: $l) { model reembedded remaining } }';
const BY_MODEL = '{ tenant { embeddingModel documentsByModel { model documents } } }';

async function embeddings(slug: string) {
  const { rows } = await sql<{ content: string; embedding_model: string; embedding: string }>`
    select d.content, d.embedding_model, d.embedding::text as embedding
    from documents d join tenants t on t.id = d.tenant_id where t.slug = ${slug} order by d.content`.execute(t.db);
  return rows;
}

describe('reembedTenant', () => {
  it('brings documents of a retired model to the current one in resumable batches, leaving client vectors alone', async () => {
    const slug = await t.createTenant('reembed');
    const d = Array.from({ length: 5 }, (_, i) => ({ externalId: `m${i}`, content: `re-embedded document ${i}` }));
    const clientVector = Array.from({ length: 512 }, (_, i) => (i === 1 ? 1 : 0));
    await t.as(slug)(UPSERT, { d: [...d, { externalId: 'c', content: 'client vector', embedding: clientVector }] });
    // As if an earlier model had embedded them: another model name and other vectors.
    const stale = `[${Array.from({ length: 512 }, (_, i) => (i === 0 ? 1 : 0)).join(',')}]`;
    await sql`update documents set embedding_model = 'retired-model', embedding = ${stale}::vector
      where external_id like 'm%' and tenant_id = (select id from tenants where slug = ${slug})`.execute(t.db);

    const before = await t.as(slug)(BY_MODEL);
    expect(before.data!.tenant).toEqual({
      embeddingModel: 'test-hashing',
      documentsByModel: [{ model: 'client-supplied', documents: 1 }, { model: 'retired-model', documents: 5 }],
    });

    const first = await t.admin(REEMBED, { s: slug, b: 2, l: 3 });
    expect(first.data!.reembedTenant).toEqual({ model: 'test-hashing', reembedded: 3, remaining: 2 });
    // Every document stays searchable mid-way: old vectors until their batch lands.
    const midway = await t.as(slug)('{ search(query: "re-embedded document", first: 10) { hits { rank } } }');
    expect(midway.data!.search.hits).toHaveLength(6);

    const second = await t.admin(REEMBED, { s: slug, b: 2 });
    expect(second.data!.reembedTenant).toEqual({ model: 'test-hashing', reembedded: 2, remaining: 0 });
    for (const row of await embeddings(slug)) {
      const expected = row.content === 'client vector' ? clientVector : embedText(row.content);
      expect(row.embedding_model).toBe(row.content === 'client vector' ? 'client-supplied' : 'test-hashing');
      JSON.parse(row.embedding).forEach((value: number, i: number) => expect(value).toBeCloseTo(expected[i]!, 5));
    }
    const again = await t.admin(REEMBED, { s: slug });
    expect(again.data!.reembedTenant).toEqual({ model: 'test-hashing', reembedded: 0, remaining: 0 });
  });

  it('is admin-only and checks its limits', async () => {
    const slug = await t.createTenant('reembed-limits');
    expect(errorCode(await t.as(slug)(REEMBED, { s: slug }))).toBe('UNAUTHENTICATED');
    const bad = await t.admin(REEMBED, { s: slug, b: 0 });
    expect(bad.errors?.[0]?.extensions?.field).toBe('batchSize');
  });
});
