import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

// The GraphQL spec's ordered result map: keys come back in the order the selection asked for
// them, whatever order their resolvers finish in (a Node's global id resolves asynchronously).
let t: TestApp;
let slug: string;
beforeAll(async () => {
  t = await startTestApp();
  slug = await t.createTenant('order');
  const result = await t.as(slug)('mutation { upsertDocuments(documents: [{ externalId: "a", content: "cats sleep" }]) { documents { id } } }');
  expect(result.errors).toBeUndefined();
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

describe('field order', () => {
  it('keeps the requested order of fields, an async id among them', async () => {
    const result = await t.as(slug)('{ documents { edges { node { id externalId updatedAt } } } }');
    const node = result.data!.documents.edges[0].node;
    expect(Object.keys(node)).toEqual(['id', 'externalId', 'updatedAt']);
    const reversed = await t.as(slug)('{ documents { edges { node { updatedAt externalId id } } } }');
    expect(Object.keys(reversed.data!.documents.edges[0].node)).toEqual(['updatedAt', 'externalId', 'id']);
  });

  it('keeps the requested order of aliases, whichever finishes first', async () => {
    const result = await t.as(slug)(
      '{ slow: search(query: "cats", first: 1) { hits { rank } } fast: documents(first: 1) { edges { cursor } } me: tenant { slug } }',
    );
    expect(result.errors).toBeUndefined();
    expect(Object.keys(result.data!)).toEqual(['slow', 'fast', 'me']);
  });

  it('keeps the order inside mutation payloads', async () => {
    const result = await t.as(slug)(
      'mutation { upsertDocuments(documents: [{ externalId: "b", content: "dogs bark" }]) { documents { content id externalId } } }',
    );
    expect(Object.keys(result.data!.upsertDocuments.documents[0])).toEqual(['content', 'id', 'externalId']);
  });
});
