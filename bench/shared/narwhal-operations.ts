import type { Outcome, GraphqlClient } from './graphql-client.js';

/** The GraphQL operations the load and fault benchmarks send, as a client application would. */
export const OPERATIONS = {
  vectorSearch: `query VectorSearch($v: [Float!]) { search(vector: $v, first: 10) { hits { distance document { id externalId } } } }`,
  textSearch: `query TextSearch($q: String) { search(query: $q, first: 10) { hits { distance document { id externalId } } } }`,
  upsert: `mutation Upsert($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id externalId } } }`,
  fetch: `query Fetch($id: ID!) { document(id: $id) { id externalId content metadata updatedAt } }`,
  nearestSelf: `query NearestSelf($v: [Float!], $f: JSON) { search(vector: $v, filter: $f, first: 1) { hits { distance document { externalId content } } } }`,
  createTenant: `mutation CreateTenant($slug: String!, $placement: TenantPlacement) { createTenant(input: { slug: $slug, name: $slug, placement: $placement }) { slug } }`,
  promoteTenant: `mutation Promote($slug: String!) { promoteTenant(slug: $slug) { placement } }`,
  tenantState: `query TenantState { tenant { placement state documentCount } }`,
  listDocuments: `query List($after: String) { documents(first: 100, after: $after) { edges { node { externalId content } } pageInfo { hasNextPage endCursor } } }`,
  documentCount: `query Count { tenant { documentCount } }`,
} as const;

export type DocumentInput = { externalId: string; content: string; embedding?: number[]; metadata?: Record<string, unknown> };
export type UpsertData = { upsertDocuments: { documents: { id: string; externalId: string }[] } };
type NearestData = { search: { hits: { distance: number; document: { externalId: string; content: string } }[] } };

export const tenantHeaders = (slug: string) => ({ 'x-tenant-id': slug });

/** Throws with the outcome's codes unless it is a full answer: for setup steps, which must not fail. */
function expectOk<T>(outcome: Outcome<T>, what: string): T {
  if (!outcome.ok || outcome.data === undefined) {
    throw new Error(`${what} failed: HTTP ${outcome.status} ${outcome.codes.join(',')} ${outcome.message ?? ''}`);
  }
  return outcome.data;
}

export async function createTenant(client: GraphqlClient, adminToken: string, slug: string, placement: 'SHARED' | 'DEDICATED' = 'SHARED') {
  expectOk(await client.send(OPERATIONS.createTenant, { slug, placement }, { authorization: `Bearer ${adminToken}` }), `createTenant ${slug}`);
}

type ListData = { documents: { edges: { node: { externalId: string; content: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

/** Every document of the tenant (externalId -> content), page by page through the `documents` connection. */
export async function listAllDocuments(client: GraphqlClient, slug: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let after: string | null = null;
  for (;;) {
    const page: ListData = expectOk(await client.send<ListData>(OPERATIONS.listDocuments, { after }, tenantHeaders(slug)), `documents of ${slug}`);
    for (const edge of page.documents.edges) found.set(edge.node.externalId, edge.node.content);
    if (!page.documents.pageInfo.hasNextPage) return found;
    after = page.documents.pageInfo.endCursor;
  }
}

/** Upserts documents in batches; returns their global IDs by externalId. */
export async function preload(client: GraphqlClient, slug: string, documents: readonly DocumentInput[], batch = 500) {
  const ids = new Map<string, string>();
  for (let start = 0; start < documents.length; start += batch) {
    const outcome = await client.send<UpsertData>(OPERATIONS.upsert, { d: documents.slice(start, start + batch) }, tenantHeaders(slug));
    for (const doc of expectOk(outcome, `preload ${slug}`).upsertDocuments.documents) ids.set(doc.externalId, doc.id);
  }
  return ids;
}

/** Whether an upsert's answer acknowledges exactly the documents it was sent. */
export function acknowledges(outcome: Outcome<UpsertData>, sent: readonly DocumentInput[]): boolean {
  const written = outcome.ok ? outcome.data?.upsertDocuments.documents : undefined;
  return written !== undefined && written.length === sent.length && written.every((doc, i) => doc.externalId === sent[i]?.externalId);
}

type Verification = { checked: number; found: number; lost: string[]; altered: string[]; failedChecks: number };

/**
 * Checks each document end to end: a search by its own vector, filtered to its own metadata `key`
 * when it has one (so the check compares one row however big the tenant is), must return it at
 * distance ~0 (the stored vector is the one sent) with its content unchanged. Lost: nothing or
 * another document came back; altered: itself, with other content or a distance showing another vector.
 */
export async function verifyDocuments(
  client: GraphqlClient,
  slug: string,
  documents: readonly DocumentInput[],
  concurrency = 4,
): Promise<Verification> {
  const result: Verification = { checked: 0, found: 0, lost: [], altered: [], failedChecks: 0 };
  let next = 0;
  const worker = async () => {
    while (next < documents.length) {
      const doc = documents[next++] as DocumentInput;
      const f = doc.metadata?.key === undefined ? null : { key: doc.metadata.key };
      const outcome = await client.send<NearestData>(OPERATIONS.nearestSelf, { v: doc.embedding, f }, tenantHeaders(slug));
      result.checked += 1;
      if (!outcome.ok) {
        result.failedChecks += 1;
        continue;
      }
      const hit = outcome.data?.search.hits[0];
      if (!hit || hit.document.externalId !== doc.externalId) result.lost.push(doc.externalId);
      else if (hit.document.content !== doc.content || Math.abs(hit.distance) > 1e-4) result.altered.push(doc.externalId);
      else result.found += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return result;
}
