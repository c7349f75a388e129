import { cacheExchange, Client, CombinedError, fetchExchange, gql, type OperationResult } from '@urql/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

// What a frontend built on urql sees: @urql/core's Client over real HTTP with the default
// *document* cache (cacheExchange). It does not normalize: it caches whole results by operation
// and variables, remembers the __typenames each result contains, and drops every cached result
// holding a typename that a mutation result returns. Normalizing Document by id would take
// @urql/exchange-graphcache, which this project does not use.

type TenantData = { tenant: { slug: string; documentCount: number } };

const UPSERT = gql<UpsertData, UpsertVariables>(UPSERT_SOURCE);
const SEARCH = gql<SearchData, SearchVariables>(SEARCH_SOURCE);
const TENANT = gql<TenantData, Record<string, never>>`
  query Tenant { tenant { slug documentCount } }
`;


let t: TestApp;
let server: Awaited<ReturnType<typeof serveOnLoopback>>;
let slug: string;
let client: Client;
const recorder = createRecordingFetch();

function createClient(tenant: string) {
  return new Client({
    url: server.url,
    fetch: recorder.fetch,
    fetchOptions: { headers: { 'x-tenant-id': tenant } },
    exchanges: [cacheExchange, fetchExchange],
  });
}

/** Requests recorded since `before`, as `METHOD OperationName`. */
const requestsSince = (before: number) => recorder.requests.slice(before).map((r) => `${r.method} ${r.operationName}`);

beforeAll(async () => {
  t = await startTestApp();
  server = await serveOnLoopback(t.app.yoga);
  slug = await t.createTenant('urql');
  client = createClient(slug);
});
afterAll(async () => {
  await server?.close();
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

describe('urql (@urql/core, document cache) over HTTP', () => {
  it('upserts documents with client.mutation, POSTed, with __typename added to the selection', async () => {
    const before = recorder.requests.length;
    const { data, error } = await client.mutation(UPSERT, { documents: CORPUS }).toPromise();
    expect(error).toBeUndefined();
    const documents = data!.upsertDocuments.documents;
    expect(documents.map((d) => d.externalId)).toEqual(CORPUS.map((d) => d.externalId));
    expect(documents.map((d) => d.metadata)).toEqual(CORPUS.map((d) => d.metadata));
    // urql adds __typename to every selection set: the cache invalidates by it.
    expect(documents.map((d) => d.__typename)).toEqual(CORPUS.map(() => 'Document'));
    expect(new Set(documents.map((d) => d.id)).size).toBe(CORPUS.length);
    expect(requestsSince(before)).toEqual(['POST Upsert']);
    expect(recorder.requests.at(-1)).toMatchObject({ status: 200 });
  });

  it('searches with client.query (sent as GET), ranks shared words first, and answers a repeat from the cache', async () => {
    const before = recorder.requests.length;
    const first = await client.query(SEARCH, { query: 'cat', first: 3 }).toPromise();
    expect(first.error).toBeUndefined();
    const hits = first.data!.search.hits;
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3]);
    expect(hits.slice(0, 2).map((h) => h.document.externalId).sort()).toEqual(['cat', 'cats']);
    expect(hits[0]!.distance).toBeLessThan(hits[2]!.distance);
    for (const hit of hits) expect(hit.score).toBeCloseTo(1 - hit.distance, 10);
    // urql's default preferGetMethod is 'within-url-limit': short queries travel as GET.
    expect(requestsSince(before)).toEqual(['GET Search']);
    expect(first.operation.context.meta?.cacheOutcome).toBe('miss');

    const repeat = await client.query(SEARCH, { query: 'cat', first: 3 }).toPromise();
    expect(repeat.data).toEqual(first.data);
    expect(repeat.operation.context.meta?.cacheOutcome).toBe('hit');
    expect(requestsSince(before)).toEqual(['GET Search']);
  });

  it('a mutation returning Document invalidates cached results holding a Document: the next search refetches', async () => {
    // Cache a result that holds no Document (only Tenant), to show what is and is not invalidated.
    const tenantBefore = await client.query(TENANT, {}).toPromise();
    expect(tenantBefore.data!.tenant).toEqual({ __typename: 'Tenant', slug, documentCount: CORPUS.length });

    const before = recorder.requests.length;
    const { data } = await client
      .mutation(UPSERT, {
        documents: [
          { externalId: 'cat', content: 'the cat now sleeps on the sofa', metadata: { kind: 'animal' } },
          { externalId: 'kitten', content: 'a cat had a kitten' },
        ],
      })
      .toPromise();
    expect(data!.upsertDocuments.documents.map((d) => d.externalId)).toEqual(['cat', 'kitten']);

    const search = await client.query(SEARCH, { query: 'cat', first: 3 }).toPromise();
    expect(search.operation.context.meta?.cacheOutcome).toBe('miss');
    expect(search.data!.search.hits.find((h) => h.document.externalId === 'cat')?.document.content).toBe(
      'the cat now sleeps on the sofa',
    );
    expect(requestsSince(before)).toEqual(['POST Upsert', 'GET Search']);

    // The Tenant result shares no typename with the mutation's result, so it is served stale.
    const tenantCached = await client.query(TENANT, {}).toPromise();
    expect(tenantCached.data!.tenant.documentCount).toBe(CORPUS.length);
    expect(requestsSince(before)).toEqual(['POST Upsert', 'GET Search']);
    const tenantFresh = await client.query(TENANT, {}, { requestPolicy: 'network-only' }).toPromise();
    expect(tenantFresh.data!.tenant.documentCount).toBe(CORPUS.length + 1);
    expect(requestsSince(before)).toEqual(['POST Upsert', 'GET Search', 'GET Tenant']);
  });

  it('additionalTypenames on a mutation invalidates results of typenames it does not return', async () => {
    await client.query(TENANT, {}).toPromise(); // cached (fetched network-only above)
    const before = recorder.requests.length;
    await client
      .mutation(UPSERT, { documents: [{ externalId: 'puppy', content: 'a dog had a puppy' }] }, { additionalTypenames: ['Tenant'] })
      .toPromise();
    const tenant = await client.query(TENANT, {}).toPromise();
    expect(tenant.data!.tenant.documentCount).toBe(CORPUS.length + 2);
    expect(requestsSince(before)).toEqual(['POST Upsert', 'GET Tenant']);
  });

  it('an empty search result holds no Document, so only additionalTypenames on the query lets an upsert invalidate it', async () => {
    const emptySlug = await t.createTenant('urql-empty');
    const emptyClient = createClient(emptySlug);
    const plain = await emptyClient.query(SEARCH, { query: 'cat', first: 5 }).toPromise();
    const declared = await emptyClient
      .query(SEARCH, { query: 'dog', first: 5 }, { additionalTypenames: ['Document'] })
      .toPromise();
    expect(plain.data!.search.hits).toEqual([]);
    expect(declared.data!.search.hits).toEqual([]);

    const before = recorder.requests.length;
    await emptyClient.mutation(UPSERT, { documents: [{ externalId: 'pets', content: 'the cat and the dog' }] }).toPromise();

    const plainAgain = await emptyClient.query(SEARCH, { query: 'cat', first: 5 }).toPromise();
    expect(plainAgain.data!.search.hits).toEqual([]); // stale: served from the cache
    const declaredAgain = await emptyClient
      .query(SEARCH, { query: 'dog', first: 5 }, { additionalTypenames: ['Document'] })
      .toPromise();
    expect(declaredAgain.data!.search.hits.map((h) => h.document.externalId)).toEqual(['pets']);
    expect(requestsSince(before)).toEqual(['POST Upsert', 'GET Search']);
  });

  it('re-executes a search that is still subscribed when a mutation returns Document', async () => {
    const results: OperationResult<SearchData, SearchVariables>[] = [];
    const subscription = client.query(SEARCH, { query: 'mouse', first: 1 }).subscribe((result) => results.push(result));
    try {
      await vi.waitFor(() => expect(results).toHaveLength(1));
      expect(results[0]!.data!.search.hits[0]!.document.content).toBe('a cat and another cat chase a mouse');

      const before = recorder.requests.length;
      await client
        .mutation(UPSERT, { documents: [{ externalId: 'cats', content: 'a cat and another cat chase a mouse and a bird' }] })
        .toPromise();
      // The client first replays the old result marked `stale: true` (a UI's "refreshing" cue),
      // then delivers the refetched one.
      const refreshed = () => results.at(-1)!;
      await vi.waitFor(() => expect(refreshed().operation.context.requestPolicy).toBe('network-only'));
      expect(refreshed().stale).toBe(false);
      expect(refreshed().data!.search.hits[0]!.document.content).toBe('a cat and another cat chase a mouse and a bird');
      expect(results.slice(1, -1).map((r) => [r.stale, r.data!.search.hits[0]!.document.content])).toEqual([
        [true, 'a cat and another cat chase a mouse'],
      ]);
      expect(requestsSince(before)).toEqual(['POST Upsert', 'GET Search']);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('resolves (never rejects) with a CombinedError whose graphQLErrors carry BAD_USER_INPUT', async () => {
    const result = await client.query(SEARCH, { query: 'cat', first: 0 }).toPromise();
    expect(result.error).toBeInstanceOf(CombinedError);
    expect(result.error!.networkError).toBeUndefined();
    expect(result.error!.graphQLErrors[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(result.error!.graphQLErrors[0]?.extensions.field).toBe('first');
    expect(result.error!.message).toBe('[GraphQL] first: must be an integer from 1 to 1000, got 0');
    expect(result.data).toBeNull();

    const mutation = await client.mutation(UPSERT, { documents: [{ externalId: 'empty', content: '  ' }] }).toPromise();
    expect(mutation.error?.graphQLErrors[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('exposes an HTTP 400 (variable coercion) as graphQLErrors, with the response attached', async () => {
    const result = await client.query(SEARCH, { query: 'cat', first: 'ten' as unknown as number }).toPromise();
    expect(result.error).toBeInstanceOf(CombinedError);
    expect(result.error!.networkError).toBeUndefined();
    expect(result.error!.graphQLErrors[0]?.message).toContain('Int cannot represent non-integer value');
    expect((result.error!.response as Response).status).toBe(400);
  });

  it('exposes a missing tenant header as UNAUTHENTICATED, and a bare GET as CSRF_REJECTED', async () => {
    const exchanges = [cacheExchange, fetchExchange];
    const anonymous = new Client({ url: server.url, fetch: recorder.fetch, preferGetMethod: false, exchanges });
    const result = await anonymous.query(SEARCH, { query: 'cat' }).toPromise();
    expect(result.error?.graphQLErrors[0]?.extensions.code).toBe('UNAUTHENTICATED');
    // A GET carrying no header at all is what any site could make a browser send: refused unread.
    const bare = await new Client({ url: server.url, fetch: recorder.fetch, exchanges }).query(SEARCH, { query: 'cat' }).toPromise();
    expect(bare.error?.graphQLErrors[0]?.extensions.code).toBe('CSRF_REJECTED');
    expect(recorder.requests.at(-1)).toMatchObject({ method: 'GET', status: 400 });
  });
});
