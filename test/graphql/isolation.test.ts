import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

// Two tenants with the same external ids and near-identical content: any leak shows up as a
// foreign id, content or count.
let t: TestApp;
let alpha: string;
let beta: string;
const ids: Record<string, string[]> = {};

beforeAll(async () => {
  t = await startTestApp();
  alpha = await t.createTenant('alpha');
  beta = await t.createTenant('beta');
  for (const slug of [alpha, beta]) {
    const result = await t.as(slug)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', {
      d: ['one', 'two', 'three'].map((k) => ({ externalId: k, content: `${slug} shared words ${k}`, metadata: { owner: slug } })),
    });
    ids[slug] = result.data!.upsertDocuments.documents.map((d: { id: string }) => d.id);
  }
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

describe('tenant isolation', () => {
  it('search returns only the caller\'s documents', async () => {
    for (const [me, other] of [[alpha, beta], [beta, alpha]] as const) {
      const result = await t.as(me)('{ search(query: "shared words", first: 100) { hits { document { id metadata } } } }');
      const hits = result.data!.search.hits;
      expect(hits).toHaveLength(3);
      expect(hits.every((h: any) => h.document.metadata.owner === me)).toBe(true);
      expect(hits.some((h: any) => ids[other]!.includes(h.document.id))).toBe(false);
    }
  });

  it("document, node and documents never resolve another tenant's rows", async () => {
    for (const id of ids[beta]!) {
      const result = await t.as(alpha)('query($id: ID!) { document(id: $id) { id } node(id: $id) { id } }', { id });
      expect(result.data).toEqual({ document: null, node: null });
    }
    const listed = await t.as(alpha)('{ documents(first: 100) { edges { node { id } } } }');
    expect(listed.data!.documents.edges.map((e: any) => e.node.id).sort()).toEqual([...ids[alpha]!].sort());
  });

  it("deleteDocuments cannot touch another tenant's rows", async () => {
    const result = await t.as(alpha)('mutation($ids: [ID!], $ext: [String!]) { deleteDocuments(ids: $ids, externalIds: $ext) }', {
      ids: ids[beta],
      ext: ['does-not-exist'],
    });
    expect(result.data?.deleteDocuments).toBe(0);
    expect((await t.as(beta)('{ tenant { documentCount } }')).data!.tenant.documentCount).toBe(3);
  });

  it('an upsert with the same external id replaces only within the caller\'s tenant', async () => {
    await t.as(alpha)('mutation { upsertDocuments(documents: [{ externalId: "one", content: "alpha replaced" }]) { documents { id } } }');
    const { rows } = await sql<{ slug: string; content: string }>`
      select t.slug, d.content from documents d join tenants t on t.id = d.tenant_id
      where d.external_id = 'one' and t.slug in (${alpha}, ${beta}) order by t.slug`.execute(t.db);
    expect(rows).toEqual([
      { slug: alpha, content: 'alpha replaced' },
      { slug: beta, content: `${beta} shared words one` },
    ]);
  });

  it('has no argument through which a client could name a tenant', async () => {
    const result = await t.gql('{ __schema { queryType { fields { name args { name } } } mutationType { fields { name args { name } } } } }');
    const tenantScoped = ['search', 'document', 'documents', 'node', 'tenant', 'upsertDocuments', 'deleteDocuments'];
    const fields = [...result.data!.__schema.queryType.fields, ...result.data!.__schema.mutationType.fields];
    for (const field of fields.filter((f: any) => tenantScoped.includes(f.name))) {
      expect(field.args.map((a: any) => a.name)).not.toContain('tenant');
      expect(field.args.map((a: any) => a.name)).not.toContain('tenantId');
    }
  });
});

describe('searchMany (admin)', () => {
  it("merges each tenant's top hits into one ranking, labelled by tenant", async () => {
    const result = await t.admin(
      'query($tenants: [String!]!) { searchMany(tenants: $tenants, query: "shared words one", first: 4) { rank distance tenant { slug } document { externalId } } }',
      { tenants: [alpha, beta] },
    );
    expect(result.errors).toBeUndefined();
    const hits = result.data!.searchMany;
    expect(hits.map((h: any) => h.rank)).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < hits.length; i++) expect(hits[i].distance).toBeGreaterThanOrEqual(hits[i - 1].distance);
    expect(new Set(hits.map((h: any) => h.tenant.slug))).toEqual(new Set([alpha, beta]));
  });

  it('is admin-only and refuses HYBRID, whose scores do not compare across tenants', async () => {
    const asTenant = await t.as(alpha)('query($s: [String!]!) { searchMany(tenants: $s, query: "x") { rank } }', { s: [beta] });
    expect(asTenant.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const hybrid = await t.admin('query($s: [String!]!) { searchMany(tenants: $s, query: "x", mode: HYBRID) { rank } }', { s: [alpha] });
    expect(hybrid.errors?.[0]?.extensions?.field).toBe('mode');
  });
});
