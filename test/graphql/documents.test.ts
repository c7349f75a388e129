import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedText } from '../helpers/hashing-embedder.js';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

const MAX_BATCH = 5;
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { MAX_BATCH_SIZE: String(MAX_BATCH) } });
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const UPSERT = `mutation($documents: [DocumentInput!]!) {
  upsertDocuments(documents: $documents) { documents { id externalId content metadata createdAt updatedAt } }
}`;

async function storedRows(slug: string) {
  const { rows } = await sql<{ external_id: string; content: string; embedding_model: string; embedding: string }>`
    select d.external_id, d.content, d.embedding_model, d.embedding::text as embedding
    from documents d join tenants t on t.id = d.tenant_id where t.slug = ${slug} order by d.external_id`.execute(t.db);
  return rows;
}

describe('upsertDocuments', () => {
  it('embeds and stores documents, returning them in input order', async () => {
    const slug = await t.createTenant();
    const result = await t.as(slug)(UPSERT, {
      documents: [
        { externalId: 'b', content: 'second document', metadata: { lang: 'en', tags: ['x'] } },
        { externalId: 'a', content: 'first document' },
      ],
    });
    expect(result.errors).toBeUndefined();
    const docs = result.data!.upsertDocuments.documents;
    expect(docs.map((d: { externalId: string }) => d.externalId)).toEqual(['b', 'a']);
    expect(docs[0]).toMatchObject({ content: 'second document', metadata: { lang: 'en', tags: ['x'] } });
    expect(docs[1].metadata).toEqual({});
    const rows = await storedRows(slug);
    expect(rows.map((r) => [r.external_id, r.embedding_model])).toEqual([['a', 'test-hashing'], ['b', 'test-hashing']]);
  });

  it('generates an external id when none is given', async () => {
    const slug = await t.createTenant();
    const result = await t.as(slug)(UPSERT, { documents: [{ content: 'anonymous' }] });
    expect(result.data!.upsertDocuments.documents[0].externalId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('replaces a document with the same external id: same id, new content, createdAt kept', async () => {
    const slug = await t.createTenant();
    const first = await t.as(slug)(UPSERT, { documents: [{ externalId: 'k', content: 'old text', metadata: { v: 1 } }] });
    const second = await t.as(slug)(UPSERT, { documents: [{ externalId: 'k', content: 'new text', metadata: { v: 2 } }] });
    const before = first.data!.upsertDocuments.documents[0];
    const after = second.data!.upsertDocuments.documents[0];
    expect(after.id).toBe(before.id);
    expect(after).toMatchObject({ content: 'new text', metadata: { v: 2 }, createdAt: before.createdAt });
    expect(Date.parse(after.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt));
    const rows = await storedRows(slug);
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.embedding)[0]).toBeCloseTo(embedText('new text')[0]!, 5);
  });

  it('does not embed again when content and model are unchanged: a metadata change writes metadata only', async () => {
    const slug = await t.createTenant();
    const first = await t.as(slug)(UPSERT, {
      documents: [
        { externalId: 'same', content: 'unchanged text', metadata: { v: 1 } },
        { externalId: 'edited', content: 'old words' },
      ],
    });
    const embeddingBefore = (await storedRows(slug)).find((r) => r.external_id === 'same')!.embedding;
    const callsBefore = t.embedderCalls.length;
    const second = await t.as(slug)(UPSERT, {
      documents: [
        { externalId: 'same', content: 'unchanged text', metadata: { v: 2 } },
        { externalId: 'edited', content: 'new words' },
      ],
    });
    expect(second.errors).toBeUndefined();
    expect(t.embedderCalls.slice(callsBefore)).toEqual([['new words']]);
    const [same, edited] = second.data!.upsertDocuments.documents;
    expect(same).toMatchObject({ id: first.data!.upsertDocuments.documents[0].id, content: 'unchanged text', metadata: { v: 2 } });
    expect(edited).toMatchObject({ externalId: 'edited', content: 'new words' });
    const rows = await storedRows(slug);
    expect(rows.find((r) => r.external_id === 'same')!.embedding).toBe(embeddingBefore);

    const callsBeforeRepeat = t.embedderCalls.length;
    const repeat = await t.as(slug)(UPSERT, { documents: [{ externalId: 'same', content: 'unchanged text', metadata: { v: 2 } }] });
    expect(repeat.data!.upsertDocuments.documents[0].metadata).toEqual({ v: 2 });
    expect(t.embedderCalls.length).toBe(callsBeforeRepeat);
  });

  it('embeds again when a document was written by another model or with a client vector', async () => {
    const slug = await t.createTenant();
    const vector = Array.from({ length: 512 }, (_, i) => (i === 3 ? 1 : 0));
    await t.as(slug)(UPSERT, { documents: [{ externalId: 'c', content: 'client text', embedding: vector }] });
    await t.as(slug)(UPSERT, { documents: [{ externalId: 'm', content: 'model text' }] });
    await sql`update documents set embedding_model = 'retired-model' where external_id = 'm'`.execute(t.db);
    const callsBefore = t.embedderCalls.length;
    await t.as(slug)(UPSERT, { documents: [{ externalId: 'c', content: 'client text' }, { externalId: 'm', content: 'model text' }] });
    expect(t.embedderCalls.slice(callsBefore)).toEqual([['client text', 'model text']]);
    expect((await storedRows(slug)).map((r) => r.embedding_model)).toEqual(['test-hashing', 'test-hashing']);
  });

  it('stores a precomputed embedding as given and does not call the embedder for it', async () => {
    const slug = await t.createTenant();
    const vector = Array.from({ length: 512 }, (_, i) => (i === 7 ? 1 : 0));
    const callsBefore = t.embedderCalls.length;
    const result = await t.as(slug)(UPSERT, { documents: [{ externalId: 'v', content: 'precomputed', embedding: vector }] });
    expect(result.errors).toBeUndefined();
    expect(t.embedderCalls.length).toBe(callsBefore);
    const [row] = await storedRows(slug);
    expect(JSON.parse(row!.embedding)).toEqual(vector);
    expect(row!.embedding_model).toBe('client-supplied');
  });

  it('embeds a whole batch in one provider call', async () => {
    const slug = await t.createTenant();
    const callsBefore = t.embedderCalls.length;
    await t.as(slug)(UPSERT, { documents: [{ content: 'one' }, { content: 'two' }, { content: 'three' }] });
    expect(t.embedderCalls.slice(callsBefore)).toEqual([['one', 'two', 'three']]);
  });

  const good = { externalId: 'good', content: 'fine' };
  it.each([
    ['empty content', [good, { content: '   ' }], 'documents[1].content', 'must not be empty'],
    ['metadata that is an array', [good, { content: 'x', metadata: [1, 2] }], 'documents[1].metadata', 'JSON object'],
    ['metadata that is a string', [{ content: 'x', metadata: 'nope' }], 'documents[0].metadata', 'JSON object'],
    ['an embedding of the wrong length', [good, { content: 'x', embedding: [1, 2, 3] }], 'documents[1].embedding', 'exactly 512'],
    ['a duplicated external id', [good, { externalId: 'good', content: 'again' }], 'documents[1].externalId', 'documents[0]'],
    ['too many documents', Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ content: `d${i}` })), 'documents', `at most ${MAX_BATCH}`],
    ['no documents', [], 'documents', 'at least 1'],
    ['a NUL character in content', [{ content: 'a\u0000b' }], 'documents[0].content', 'NUL'],
    ['an over-long external id', [{ externalId: 'x'.repeat(513), content: 'x' }], 'documents[0].externalId', '1-512'],
  ])('rejects a batch with %s and writes nothing', async (_name, documents, field, limit) => {
    const slug = await t.createTenant();
    const callsBefore = t.embedderCalls.length;
    const result = await t.as(slug)(UPSERT, { documents });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.extensions?.field).toBe(field);
    expect(result.errors?.[0]?.message).toContain(limit);
    expect(t.embedderCalls.length).toBe(callsBefore);
    expect(await storedRows(slug)).toEqual([]);
  });

  it('writes nothing when the database rejects part of a batch', async () => {
    const slug = await t.createTenant();
    // jsonb refuses \u0000 inside a string: only the database finds it, in the second row of a
    // statement that also carries the first.
    const result = await t.as(slug)(UPSERT, {
      documents: [{ content: 'fine' }, { content: 'also fine', metadata: { note: 'bad \u0000 byte' } }],
    });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(await storedRows(slug)).toEqual([]);
  });
});

describe('reading and deleting documents', () => {
  it('finds a document by id and pages through all of them in a stable order', async () => {
    const slug = await t.createTenant();
    const written = await t.as(slug)(UPSERT, {
      documents: ['a', 'b', 'c', 'd', 'e'].map((k) => ({ externalId: k, content: `doc ${k}` })),
    });
    const ids = written.data!.upsertDocuments.documents.map((d: { id: string }) => d.id);
    const one = await t.as(slug)('query($id: ID!) { document(id: $id) { externalId } }', { id: ids[2] });
    expect(one.data?.document).toEqual({ externalId: 'c' });

    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const result: any = await t.as(slug)(
        'query($after: String) { documents(first: 2, after: $after) { edges { cursor node { externalId } } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      seen.push(...result.data.documents.edges.map((e: any) => e.node.externalId));
      if (!result.data.documents.pageInfo.hasNextPage) break;
      after = result.data.documents.pageInfo.endCursor;
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('answers null for an id that does not exist and BAD_USER_INPUT for a malformed one', async () => {
    const slug = await t.createTenant();
    const missing = Buffer.from('Document:999999999').toString('base64');
    expect((await t.as(slug)('query($id: ID!) { document(id: $id) { id } }', { id: missing })).data?.document).toBeNull();
    const malformed = await t.as(slug)('query($id: ID!) { document(id: $id) { id } }', { id: 'not-an-id' });
    expect(errorCode(malformed)).toBe('BAD_USER_INPUT');
  });

  it('deletes by id and by external id, returning the number deleted', async () => {
    const slug = await t.createTenant();
    const written = await t.as(slug)(UPSERT, {
      documents: ['a', 'b', 'c', 'd'].map((k) => ({ externalId: k, content: `doc ${k}` })),
    });
    const [a] = written.data!.upsertDocuments.documents;
    const result = await t.as(slug)('mutation($ids: [ID!], $ext: [String!]) { deleteDocuments(ids: $ids, externalIds: $ext) }', {
      ids: [a.id],
      ext: ['c', 'missing'],
    });
    expect(result.data?.deleteDocuments).toBe(2);
    expect((await storedRows(slug)).map((r) => r.external_id)).toEqual(['b', 'd']);
  });
});
