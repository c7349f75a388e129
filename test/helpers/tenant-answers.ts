import { sql } from 'kysely';
import type { TestApp } from './test-app.js';

const UPSERT = 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { externalId } } }';
// efSearch well above the tenants' sizes: an index built afresh finds what the original's found.
const SEARCH = `query($q: String!, $f: JSON) { search(query: $q, first: 10, filter: $f, efSearch: 1000) {
  hits { distance document { externalId content metadata embeddingModel createdAt updatedAt } } } }`;

/** Queries whose answers a copied or restored tenant must give exactly as the original did. */
export const PROBE_QUERIES = ['alpha river', 'beta mountain 7', 'gamma', 'document 12 about delta'];

/**
 * Writes count documents with metadata to the tenant. Their vectors are pseudo-random (seeded by
 * position), not embedded from the text: no two are at the same distance from a query, so a
 * ranking has no ties whose order an engine may choose freely.
 */
export async function fillTenant(t: TestApp, slug: string, count: number, prefix = 'doc', dimensions = 512): Promise<void> {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'river', 'mountain'];
  for (let start = 0; start < count; start += 100) {
    const d = Array.from({ length: Math.min(100, count - start) }, (_, k) => {
      const i = start + k;
      return {
        externalId: `${prefix}-${i}`,
        content: `document ${i} about ${words[i % 6]} ${words[(i * 7) % 6]} ${i % 11}`,
        metadata: { i, group: `g${i % 3}`, nested: { even: i % 2 === 0 } },
        embedding: seededVector(i + 1, dimensions),
      };
    });
    const result = await t.as(slug)(UPSERT, { d });
    if (result.errors) throw new Error(JSON.stringify(result.errors));
  }
}

/** What the tenant answers to each probe query (with and without a filter): hits with distances, documents whole. */
export async function searchAnswers(t: TestApp, slug: string): Promise<unknown[]> {
  const answers: unknown[] = [];
  for (const q of PROBE_QUERIES) {
    for (const f of [null, { group: 'g1' }]) {
      const result = await t.as(slug)(SEARCH, { q, f });
      if (result.errors) throw Object.assign(new Error(JSON.stringify(result.errors)), { errors: result.errors });
      answers.push(result.data!.search.hits);
    }
  }
  return answers;
}

/** Every document's stored vector as pgvector's binary form (hex), by external id: equal means bit for bit. */
export async function storedVectors(t: TestApp, slug: string): Promise<Record<string, string>> {
  const { rows } = await sql<{ external_id: string; bytes: string }>`
    select d.external_id, encode(vector_send(d.embedding), 'hex') as bytes
    from documents d join tenants t on t.id = d.tenant_id and t.slug = ${slug}
    order by d.external_id`.execute(t.db);
  return Object.fromEntries(rows.map((row) => [row.external_id, row.bytes]));
}

/** How many rows the tenant has in documents, read directly. */
export async function rowCount(t: TestApp, slug: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from documents d join tenants t on t.id = d.tenant_id where t.slug = ${slug}`.execute(t.db);
  return rows[0]!.n;
}

/** A deterministic pseudo-random vector (xorshift), nonzero. */
export function seededVector(seed: number, dimensions: number): number[] {
  let state = (seed * 2654435761) >>> 0 || 1;
  return Array.from({ length: dimensions }, () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32 - 0.5;
  });
}

/** The expiry every copy of the tenant written by expiringDocuments must keep (the expired one left out). */
export const LATER = '2099-01-02T03:04:05.678Z';

/**
 * Three documents: "forever" (no expiry), "later" (expires at LATER) and "gone", whose expiry is
 * then moved into the past directly (the API refuses a past expiresAt): expired, not yet purged.
 */
export async function expiringDocuments(t: TestApp, slug: string): Promise<void> {
  const d = ['forever', 'later', 'gone'].map((externalId, i) => ({
    externalId,
    content: `expiring ${externalId}`,
    embedding: seededVector(900 + i, 512),
    ...(externalId === 'forever' ? {} : { expiresAt: LATER }),
  }));
  const result = await t.as(slug)(UPSERT, { d });
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  const { rows } = await sql<{ id: number }>`select id from tenants where slug = ${slug}`.execute(t.db);
  await sql`update documents set expires_at = now() - interval '1 hour' where tenant_id = ${rows[0]!.id} and external_id = 'gone'`.execute(t.db);
}

/** Every row's expires_at (ISO, or null) by external id, read directly: expired rows included. */
export async function storedExpiries(t: TestApp, slug: string): Promise<Record<string, string | null>> {
  const { rows } = await sql<{ external_id: string; expires_at: Date | null }>`
    select d.external_id, d.expires_at from documents d join tenants t on t.id = d.tenant_id and t.slug = ${slug}
    order by d.external_id`.execute(t.db);
  return Object.fromEntries(rows.map((row) => [row.external_id, row.expires_at === null ? null : new Date(row.expires_at).toISOString()]));
}
