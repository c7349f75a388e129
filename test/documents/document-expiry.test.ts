import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

// The purge's timer is off (interval 0): what these tests see is the queries' own filter, not a
// deletion; the purge test runs it by hand. Batches of 2 make batching observable.
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { EXPIRY_PURGE_INTERVAL_MS: '0', EXPIRY_PURGE_BATCH_SIZE: '2' } });
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const UPSERT = `mutation($documents: [DocumentInput!]!) {
  upsertDocuments(documents: $documents) { documents { id externalId expiresAt } }
}`;

const READS = `query($id: ID!, $other: ID!) {
  document(id: $id) { externalId }
  node(id: $id) { id }
  documents(first: 50) { edges { node { externalId } } }
  vector: search(query: "harbour lighthouse keeper", first: 10) { hits { document { externalId } } }
  keyword: search(query: "lighthouse", mode: KEYWORD, first: 10) { hits { document { externalId } } }
  hybrid: search(query: "lighthouse", mode: HYBRID, first: 10) { hits { document { externalId } } }
  other: document(id: $other) { similar(first: 10) { hits { document { externalId } } } }
  self: document(id: $id) { similar(first: 10) { hits { document { externalId } } } }
  tenant { documentCount documentsByModel { documents } }
}`;

/** What every read path returns of the tenant's documents, by external id. */
async function visible(slug: string, id: string, other: string) {
  const result = await t.as(slug)(READS, { id, other });
  expect(result.errors).toBeUndefined();
  const d = result.data!;
  const ids = (hits: { document: { externalId: string } }[]) => hits.map((hit) => hit.document.externalId).sort();
  return {
    document: d.document?.externalId ?? null,
    node: d.node?.id ?? null,
    connection: d.documents.edges.map((edge: { node: { externalId: string } }) => edge.node.externalId).sort(),
    vector: ids(d.vector.hits),
    keyword: ids(d.keyword.hits),
    hybrid: ids(d.hybrid.hits),
    similar: ids(d.other.similar.hits),
    count: d.tenant.documentCount,
    byModel: d.tenant.documentsByModel.reduce((sum: number, row: { documents: number }) => sum + row.documents, 0),
  };
}

async function until(condition: () => Promise<boolean>, what: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(['SHARED', 'DEDICATED'] as const)('an expiring document, %s tenant', (placement) => {
  it('is returned by every read until expiresAt, then by none, before any purge', async () => {
    const slug = await t.createTenant('exp', { placement });
    const expiresAt = new Date(Date.now() + 3000).toISOString();
    const written = await t.as(slug)(UPSERT, {
      documents: [
        { externalId: 'brief', content: 'the lighthouse keeper of the harbour', expiresAt },
        { externalId: 'lasting', content: 'the lighthouse at the harbour mouth' },
      ],
    });
    expect(written.errors).toBeUndefined();
    const [brief, lasting] = written.data!.upsertDocuments.documents;
    expect(Date.parse(brief.expiresAt)).toBe(Date.parse(expiresAt));
    expect(lasting.expiresAt).toBeNull();

    const before = await visible(slug, brief.id, lasting.id);
    // Expired in the meantime on a very slow machine: then the test says nothing; retry-safe.
    if (Date.now() < Date.parse(expiresAt)) {
      expect(before).toMatchObject({
        document: 'brief',
        node: brief.id,
        connection: ['brief', 'lasting'],
        vector: ['brief', 'lasting'],
        keyword: ['brief', 'lasting'],
        hybrid: ['brief', 'lasting'],
        similar: ['brief'],
        count: 2,
        byModel: 2,
      });
    }

    await until(async () => (await visible(slug, brief.id, lasting.id)).document === null, 'the document to expire');
    const after = await visible(slug, brief.id, lasting.id);
    expect(after).toEqual({
      document: null,
      node: null,
      connection: ['lasting'],
      vector: ['lasting'],
      keyword: ['lasting'],
      hybrid: ['lasting'],
      similar: [],
      count: 1,
      byModel: 1,
    });
    const self = await t.as(slug)(READS, { id: brief.id, other: lasting.id });
    expect(self.data!.self).toBeNull();
    // Still stored: the reads filtered it, nothing deleted it.
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from documents d join tenants t on t.id = d.tenant_id where t.slug = ${slug}`.execute(t.db);
    expect(Number(rows[0]!.n)).toBe(2);
  });
});

describe('tenant document TTL', () => {
  it('gives documents written without expiresAt now + the TTL, and can be changed and cleared', async () => {
    const slug = await t.createTenant('ttl', { documentTtlSeconds: 3600 });
    const start = Date.now();
    const first = await t.as(slug)(UPSERT, {
      documents: [{ externalId: 'a', content: 'alpha' }, { externalId: 'b', content: 'beta', expiresAt: new Date(start + 60_000).toISOString() }],
    });
    expect(first.errors).toBeUndefined();
    const [a, b] = first.data!.upsertDocuments.documents;
    expect(Date.parse(a.expiresAt)).toBeGreaterThanOrEqual(start + 3_600_000);
    expect(Date.parse(a.expiresAt)).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(Date.parse(b.expiresAt)).toBe(start + 60_000);

    const set = await t.admin('mutation($slug: String!) { setTenantDocumentTtl(slug: $slug, documentTtlSeconds: 60) { documentTtlSeconds } }', { slug });
    expect(set.data!.setTenantDocumentTtl.documentTtlSeconds).toBe(60);
    // Same content: only metadata and expiry are written (no new embedding), with the new TTL.
    const again = await t.as(slug)(UPSERT, { documents: [{ externalId: 'a', content: 'alpha', metadata: { v: 2 } }] });
    expect(Date.parse(again.data!.upsertDocuments.documents[0].expiresAt)).toBeLessThanOrEqual(Date.now() + 60_000);

    const cleared = await t.admin('mutation($slug: String!) { setTenantDocumentTtl(slug: $slug, documentTtlSeconds: null) { documentTtlSeconds } }', { slug });
    expect(cleared.data!.setTenantDocumentTtl.documentTtlSeconds).toBeNull();
    const never = await t.as(slug)(UPSERT, { documents: [{ externalId: 'a', content: 'alpha changed' }] });
    expect(never.data!.upsertDocuments.documents[0].expiresAt).toBeNull();
  });

  it.each([0, -5, 315_360_001])('refuses documentTtlSeconds %s, naming the field and the bounds', async (ttl) => {
    const slug = `ttl-bad-${Math.abs(ttl)}`;
    const created = await t.admin('mutation($input: CreateTenantInput!) { createTenant(input: $input) { slug } }', {
      input: { slug, documentTtlSeconds: ttl },
    });
    expect(errorCode(created)).toBe('BAD_USER_INPUT');
    expect(created.errors![0]!.message).toContain('documentTtlSeconds: must be an integer from 1 to 315360000');
    const existing = await t.createTenant('ttl-set');
    const set = await t.admin('mutation($slug: String!, $ttl: Int) { setTenantDocumentTtl(slug: $slug, documentTtlSeconds: $ttl) { slug } }', {
      slug: existing,
      ttl,
    });
    expect(errorCode(set)).toBe('BAD_USER_INPUT');
    expect(set.errors![0]!.extensions!.field).toBe('documentTtlSeconds');
  });

  it('setTenantDocumentTtl is for admins only', async () => {
    const slug = await t.createTenant('ttl-auth');
    const result = await t.as(slug)('mutation($slug: String!) { setTenantDocumentTtl(slug: $slug, documentTtlSeconds: 5) { slug } }', { slug });
    expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(errorCode(result));
  });
});

describe('expiry across placement and lifecycle', () => {
  it('is kept when the tenant is promoted, deactivated, reactivated and demoted', async () => {
    const slug = await t.createTenant('exp-move');
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    await t.as(slug)(UPSERT, { documents: [{ externalId: 'x', content: 'moving house', expiresAt }] });
    const expiry = async () => {
      const result = await t.as(slug)('{ documents(first: 1) { edges { node { expiresAt } } } }');
      expect(result.errors).toBeUndefined();
      return Date.parse(result.data!.documents.edges[0].node.expiresAt);
    };
    for (const mutation of ['promoteTenant', 'deactivateTenant', 'activateTenant', 'demoteTenant']) {
      const moved = await t.admin(`mutation($slug: String!) { ${mutation}(slug: $slug) { state } }`, { slug });
      expect(moved.errors, mutation).toBeUndefined();
      if (mutation !== 'deactivateTenant') expect(await expiry(), mutation).toBe(Date.parse(expiresAt));
    }
  });
});

describe('expiresAt input', () => {
  it('refuses a moment already past, naming the document, and writes nothing of the batch', async () => {
    const slug = await t.createTenant('past');
    const result = await t.as(slug)(UPSERT, {
      documents: [
        { externalId: 'fine', content: 'fine' },
        { externalId: 'late', content: 'late', expiresAt: new Date(Date.now() - 1000).toISOString() },
      ],
    });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.extensions!.field).toBe('documents[1].expiresAt');
    expect(result.errors![0]!.message).toMatch(/must be in the future/);
    const listed = await t.as(slug)('{ documents(first: 10) { edges { node { id } } } }');
    expect(listed.data!.documents.edges).toEqual([]);
  });

  it('refuses a value that is not a date-time', async () => {
    const slug = await t.createTenant('notdate');
    const result = await t.as(slug)(UPSERT, { documents: [{ content: 'x', expiresAt: 'tomorrow' }] });
    expect(result.errors).toBeDefined();
    expect(errorCode(result)).not.toBe('INTERNAL_SERVER_ERROR');
  });
});

describe('the retention purge', () => {
  it('deletes expired documents in batches and leaves the rest', async () => {
    const slug = await t.createTenant('purge', { placement: 'DEDICATED' });
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const documents = [
      ...Array.from({ length: 5 }, (_, i) => ({ externalId: `gone-${i}`, content: `short lived ${i}`, expiresAt })),
      { externalId: 'kept', content: 'kept for good' },
    ];
    expect((await t.as(slug)(UPSERT, { documents })).errors).toBeUndefined();
    await until(async () => (await t.as(slug)('{ tenant { documentCount } }')).data!.tenant.documentCount === 1, 'expiry');

    const purged = await t.app.retentionPurge.runOnce();
    expect(purged.documents).toBeGreaterThanOrEqual(5);
    // Batches of 2: five rows take at least three.
    expect(purged.batches).toBeGreaterThanOrEqual(3);
    const { rows } = await sql<{ external_id: string }>`
      select d.external_id from documents d join tenants t on t.id = d.tenant_id where t.slug = ${slug}`.execute(t.db);
    expect(rows.map((row) => row.external_id)).toEqual(['kept']);
  });
});
