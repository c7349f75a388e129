import { ApolloClient, CombinedGraphQLErrors, gql, HttpLink, InMemoryCache, type TypedDocumentNode } from '@apollo/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveOnLoopback } from '../helpers/http-server.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';
import {
  CORPUS,
  type SearchData,
  type SearchVariables,
  SEARCH_SOURCE,
  type UpsertData,
  type UpsertVariables,
  UPSERT_SOURCE,
} from './operations.js';
import { createRecordingFetch } from './recording-fetch.js';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { createHash } from 'node:crypto';

// What a frontend built on Apollo Client 4 sees: real HTTP on a loopback port, global fetch,
// InMemoryCache with its default normalization (`__typename:id`, and Document.id is a global ID).


const UPSERT: TypedDocumentNode<UpsertData, UpsertVariables> = gql(UPSERT_SOURCE);
const SEARCH: TypedDocumentNode<SearchData, SearchVariables> = gql(SEARCH_SOURCE);
const DOCUMENT_CONTENT: TypedDocumentNode<{ id: string; content: string }> = gql`
  fragment DocumentContent on Document { id content }
`;


let t: TestApp;
let server: Awaited<ReturnType<typeof serveOnLoopback>>;
let slug: string;
let client: ApolloClient;
let cache: InMemoryCache;
const recorder = createRecordingFetch();
/** Global IDs by externalId, as the upsert returned them. */
const ids = new Map<string, string>();

beforeAll(async () => {
  t = await startTestApp();
  server = await serveOnLoopback(t.app.yoga);
  slug = await t.createTenant('apollo');
  cache = new InMemoryCache();
  client = new ApolloClient({
    link: new HttpLink({ uri: server.url, fetch: recorder.fetch, headers: { 'x-tenant-id': slug } }),
    cache,
  });
});
afterAll(async () => {
  client?.stop();
  await server?.close();
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const documentRef = (id: string) => cache.identify({ __typename: 'Document', id });

describe('Apollo Client 4 over HTTP', () => {
  it('upserts documents with client.mutate and stores each Document normalized under Document:<id>', async () => {
    const { data, error } = await client.mutate({ mutation: UPSERT, variables: { documents: CORPUS } });
    expect(error).toBeUndefined();
    const documents = data!.upsertDocuments.documents;
    expect(documents.map((d) => d.externalId)).toEqual(CORPUS.map((d) => d.externalId));
    expect(documents.map((d) => d.metadata)).toEqual(CORPUS.map((d) => d.metadata));
    for (const document of documents) {
      expect(document.__typename).toBe('Document');
      expect(Date.parse(document.updatedAt)).not.toBeNaN();
      ids.set(document.externalId, document.id);
    }
    expect(new Set(ids.values()).size).toBe(CORPUS.length);

    const stored = cache.extract();
    for (const [externalId, id] of ids) {
      expect(documentRef(id)).toBe(`Document:${id}`);
      expect(stored[`Document:${id}`]).toMatchObject({ __typename: 'Document', id, externalId });
    }
    expect(recorder.requests.at(-1)).toMatchObject({ method: 'POST', operationName: 'Upsert', status: 200 });
  });

  it('searches with client.query, ranks shared words first, and readFragment finds each hit by id', async () => {
    // Start from an empty cache, so whatever readFragment returns below came from the search.
    await client.clearStore();
    expect(cache.extract()).toEqual({});

    const { data, error } = await client.query({ query: SEARCH, variables: { query: 'cat', first: 3 } });
    expect(error).toBeUndefined();
    const hits = data!.search.hits;
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3]);
    expect(hits.slice(0, 2).map((h) => h.document.externalId).sort()).toEqual(['cat', 'cats']);
    expect(hits[0]!.distance).toBeLessThan(hits[2]!.distance);
    for (const hit of hits) expect(hit.score).toBeCloseTo(1 - hit.distance, 10);
    expect(hits.map((h) => h.document.id)).toEqual(hits.map((h) => ids.get(h.document.externalId)));

    // Hits have no id, so they stay inside the cached search result; their documents are references.
    const rootQuery = cache.extract().ROOT_QUERY as Record<string, any>;
    const cachedSearch = rootQuery['search({"first":3,"query":"cat"})'];
    expect(cachedSearch.hits.map((h: { document: unknown }) => h.document)).toEqual(
      hits.map((h) => ({ __ref: `Document:${h.document.id}` })),
    );

    const catId = ids.get('cat')!;
    expect(client.readFragment({ id: documentRef(catId), fragment: DOCUMENT_CONTENT })).toEqual({
      __typename: 'Document',
      id: catId,
      content: 'the cat sleeps on the warm mat',
    });
    // A document no search returned was never written to this cache.
    expect(client.readFragment({ id: documentRef(ids.get('stocks')!), fragment: DOCUMENT_CONTENT })).toBeNull();
  });

  it('an upsert selecting id and content updates the cached search result with no request', async () => {
    const catId = ids.get('cat')!;
    const before = recorder.requests.length;
    const { data } = await client.mutate({
      mutation: UPSERT,
      variables: { documents: [{ externalId: 'cat', content: 'the cat now sleeps on the sofa', metadata: { kind: 'animal' } }] },
    });
    // Replacing by externalId keeps the document's id: that is what lets the cache merge it.
    expect(data!.upsertDocuments.documents[0]!.id).toBe(catId);
    expect(recorder.requests.length).toBe(before + 1);

    expect(client.readFragment({ id: documentRef(catId), fragment: DOCUMENT_CONTENT })?.content).toBe(
      'the cat now sleeps on the sofa',
    );
    const cached = await client.query({ query: SEARCH, variables: { query: 'cat', first: 3 }, fetchPolicy: 'cache-only' });
    const cachedCat = cached.data!.search.hits.find((h) => h.document.id === catId);
    expect(cachedCat?.document.content).toBe('the cat now sleeps on the sofa');
    // Served from the cache: no request went out for it.
    expect(recorder.requests.length).toBe(before + 1);

    // The cache merges fields, it does not re-rank: a new ranking needs the server.
    const fresh = await client.query({ query: SEARCH, variables: { query: 'sofa', first: 1 }, fetchPolicy: 'network-only' });
    expect(fresh.data!.search.hits.map((h) => h.document.externalId)).toEqual(['cat']);
    expect(recorder.requests.length).toBe(before + 2);
  });

  it('exposes BAD_USER_INPUT as CombinedGraphQLErrors: thrown by default, returned with errorPolicy "all"', async () => {
    const thrown = await client.query({ query: SEARCH, variables: { query: 'cat', first: 0 } }).catch((error: unknown) => error);
    expect(CombinedGraphQLErrors.is(thrown)).toBe(true);
    const errors = (thrown as CombinedGraphQLErrors).errors;
    expect(errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors[0]?.extensions?.field).toBe('first');
    expect(errors[0]?.message).toContain('1 to 1000');

    const returned = await client.query({ query: SEARCH, variables: { query: 'cat', first: 1001 }, errorPolicy: 'all' });
    expect(CombinedGraphQLErrors.is(returned.error)).toBe(true);
    expect((returned.error as CombinedGraphQLErrors).errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const mutation = await client
      .mutate({ mutation: UPSERT, variables: { documents: [{ externalId: 'empty', content: '  ' }] } })
      .catch((error: unknown) => error);
    expect(CombinedGraphQLErrors.is(mutation)).toBe(true);
    expect((mutation as CombinedGraphQLErrors).errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('exposes a request the server rejects with HTTP 400 as CombinedGraphQLErrors too', async () => {
    // Variable coercion fails before execution: yoga answers 400 in application/graphql-response+json,
    // which Apollo Client 4 still parses as GraphQL errors rather than a ServerError.
    const thrown = await client
      .query({ query: SEARCH, variables: { query: 'cat', first: 'ten' as unknown as number } })
      .catch((error: unknown) => error);
    expect(CombinedGraphQLErrors.is(thrown)).toBe(true);
    expect((thrown as CombinedGraphQLErrors).errors[0]?.message).toContain('Int cannot represent non-integer value');
    expect(recorder.requests.at(-1)).toMatchObject({
      status: 400,
      contentType: expect.stringContaining('application/graphql-response+json'),
    });
  });

  it('exposes a missing tenant header as UNAUTHENTICATED', async () => {
    const anonymous = new ApolloClient({ link: new HttpLink({ uri: server.url, fetch: recorder.fetch }), cache: new InMemoryCache() });
    try {
      const thrown = await anonymous.query({ query: SEARCH, variables: { query: 'cat' } }).catch((error: unknown) => error);
      expect(CombinedGraphQLErrors.is(thrown)).toBe(true);
      expect((thrown as CombinedGraphQLErrors).errors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      anonymous.stop();
    }
  });

  it('sends a repeated operation as its hash alone with the persisted-queries link (automatic persisted queries)', async () => {
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const persisted = new ApolloClient({
      link: createPersistedQueryLink({ sha256 }).concat(new HttpLink({ uri: server.url, fetch: recorder.fetch, headers: { 'x-tenant-id': slug } })),
      cache: new InMemoryCache(),
    });
    try {
      const bodies: string[] = [];
      const before = recorder.requests.length;
      for (const fetchPolicy of ['network-only', 'network-only'] as const) {
        const { data, error } = await persisted.query({ query: SEARCH, variables: { query: 'cat' }, fetchPolicy });
        expect(error).toBeUndefined();
        bodies.push(JSON.stringify(data));
      }
      expect(bodies[1]).toBe(bodies[0]);
      // First: hash alone (404 PERSISTED_QUERY_NOT_FOUND), then hash and text; second: hash alone, answered.
      expect(recorder.requests.slice(before).map((request) => request.status)).toEqual([404, 200, 200]);
    } finally {
      persisted.stop();
    }
  });
});
