import { ApolloServer } from '@apollo/server';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveOnLoopback } from '../helpers/http-server.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';
import { createNotesSubgraph } from './notes-subgraph.js';

type Headers = Record<string, string>;

let t: TestApp;
let narwhal: Awaited<ReturnType<typeof serveOnLoopback>>;
let notes: Awaited<ReturnType<typeof serveOnLoopback>>;
let gateway: ApolloServer<{ headers: Headers }>;
let alpha: string;
let beta: string;
const ids: Record<string, string[]> = {};
const notesByDocumentId = new Map<string, string[]>();

beforeAll(async () => {
  t = await startTestApp();
  alpha = await t.createTenant('fed-alpha');
  beta = await t.createTenant('fed-beta');
  for (const slug of [alpha, beta]) {
    const result = await t.as(slug)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', {
      d: ['whales sing', 'whales dive deep', 'cats sleep'].map((content, i) => ({ externalId: `d${i}`, content })),
    });
    ids[slug] = result.data!.upsertDocuments.documents.map((d: { id: string }) => d.id);
  }
  notesByDocumentId.set(ids[alpha]![0]!, ['alpha note on whales']);
  notesByDocumentId.set(ids[alpha]![1]!, ['alpha note on diving']);
  notesByDocumentId.set(ids[beta]![0]!, ['beta note: must never reach alpha']);

  narwhal = await serveOnLoopback(t.app.yoga);
  notes = await serveOnLoopback(createNotesSubgraph(notesByDocumentId));
  gateway = new ApolloServer<{ headers: Headers }>({
    gateway: new ApolloGateway({
      supergraphSdl: new IntrospectAndCompose({
        subgraphs: [
          { name: 'narwhal', url: narwhal.url },
          { name: 'notes', url: notes.url },
        ],
      }),
      // Header propagation, as the README tells gateway operators to configure it.
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource<{ headers: Headers }>({
          url,
          willSendRequest({ request, context }) {
            for (const name of ['x-tenant-id', 'authorization']) {
              const value = context.headers?.[name];
              if (value) request.http?.headers.set(name, value);
            }
          },
        }),
    }),
  });
  await gateway.start();
});

afterAll(async () => {
  await gateway?.stop();
  await notes?.close();
  await narwhal?.close();
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

async function viaGateway(query: string, headers: Headers) {
  const response = await gateway.executeOperation({ query }, { contextValue: { headers } });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult as { data?: Record<string, any>; errors?: { message: string; extensions?: { code?: string } }[] };
}

describe('Narwhal as an Apollo Federation v2 subgraph', () => {
  it('serves its SDL through _service for composition', async () => {
    const result = await t.gql('{ _service { sdl } }');
    expect(result.data!._service.sdl).toContain('@key(fields: "id")');
  });

  it('composes with another subgraph: a search through the gateway picks up the other subgraph\'s fields', async () => {
    const result = await viaGateway('{ search(query: "whales", first: 2) { hits { rank document { id content notes } } } }', {
      'x-tenant-id': alpha,
    });
    expect(result.errors).toBeUndefined();
    const hits = result.data!.search.hits;
    expect(hits.map((h: any) => h.document.content).sort()).toEqual(['whales dive deep', 'whales sing']);
    for (const hit of hits) expect(hit.document.notes).toEqual(notesByDocumentId.get(hit.document.id));
  });

  it("resolves entity references in one query per batch and only within the caller's tenant", async () => {
    const before = t.queries.length;
    const result = await viaGateway('{ allNotes { text document { id content externalId } } }', { 'x-tenant-id': alpha });
    expect(result.errors).toBeUndefined();
    const byText = Object.fromEntries(result.data!.allNotes.map((n: any) => [n.text, n.document]));
    expect(byText['alpha note on whales']).toMatchObject({ id: ids[alpha]![0], content: 'whales sing' });
    expect(byText['alpha note on diving']).toMatchObject({ id: ids[alpha]![1], content: 'whales dive deep' });
    // beta's document is another tenant's: the reference resolves to null, nothing leaks.
    expect(byText['beta note: must never reach alpha']).toBeNull();
    const documentReads = t.queries.slice(before).filter((sql) => /from "documents"/.test(sql));
    expect(documentReads).toHaveLength(1);
  });

  it('offers similar documents on Document for other subgraphs to hang search off', async () => {
    const result = await viaGateway('{ allNotes { text document { content similar(first: 1) { hits { document { content } } } } } }', {
      'x-tenant-id': alpha,
    });
    expect(result.errors).toBeUndefined();
    const diving = result.data!.allNotes.find((n: any) => n.text === 'alpha note on diving');
    expect(diving.document.similar.hits.map((h: any) => h.document.content)).toEqual(['whales sing']);
  });

  it('passes the missing-tenant error through the gateway with its code', async () => {
    const result = await viaGateway('{ search(query: "whales") { hits { rank } } }', {});
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
