import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const CREATE =
  'mutation($input: CreateTenantInput!) { createTenant(input: $input) { slug name placement hnsw { m efConstruction } efSearch documentCount } }';

async function partitionExists(slug: string): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    join tenants t on c.relname = 'documents_t' || t.id
    where i.inhparent = 'documents'::regclass and t.slug = ${slug}`.execute(t.db);
  return rows[0]!.n === 1;
}

describe('createTenant', () => {
  it('creates the tenant with its own partition and HNSW index, using the given settings', async () => {
    const result = await t.admin(CREATE, {
      input: { slug: 'acme-corp', name: 'Acme', placement: 'DEDICATED', hnsw: { m: 8, efConstruction: 32 }, efSearch: 60 },
    });
    expect(result.data?.createTenant).toEqual({
      slug: 'acme-corp',
      placement: 'DEDICATED',
      name: 'Acme',
      hnsw: { m: 8, efConstruction: 32 },
      efSearch: 60,
      documentCount: 0,
    });
    expect(await partitionExists('acme-corp')).toBe(true);
    const { rows } = await sql<{ indexdef: string }>`
      select indexdef from pg_indexes where indexname = (
        select 'documents_t' || id || '_embedding_hnsw' from tenants where slug = 'acme-corp')`.execute(t.db);
    expect(rows[0]?.indexdef).toMatch(/USING hnsw \(embedding vector_cosine_ops\) WITH \(m='?8'?, ef_construction='?32'?\)/);
  });

  it('defaults to the shared pool (no partition of its own), name = slug and HNSW settings 16 / 128', async () => {
    const result = await t.admin(CREATE, { input: { slug: 'defaults_1' } });
    expect(result.data?.createTenant).toMatchObject({
      name: 'defaults_1',
      placement: 'SHARED',
      hnsw: { m: 16, efConstruction: 128 },
      efSearch: 100,
    });
    expect(await partitionExists('defaults_1')).toBe(false);
  });

  it('rejects a duplicate slug with CONFLICT', async () => {
    await t.admin(CREATE, { input: { slug: 'twice' } });
    const again = await t.admin(CREATE, { input: { slug: 'twice' } });
    expect(errorCode(again)).toBe('CONFLICT');
    expect(again.errors?.[0]?.message).toContain('twice');
  });

  it.each([
    ['', 'slug'],
    ['Upper', 'slug'],
    ['has space', 'slug'],
    ['a'.repeat(64), 'slug'],
    ['drop;table', 'slug'],
  ])('rejects the invalid slug %j naming the field', async (slug, field) => {
    const result = await t.admin(CREATE, { input: { slug } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.extensions?.field).toBe(field);
    expect(result.errors?.[0]?.message).toContain('1-63');
  });

  it.each([
    [{ hnsw: { m: 1 } }, 'hnsw.m', '2 to 100'],
    [{ hnsw: { m: 101 } }, 'hnsw.m', '2 to 100'],
    [{ hnsw: { efConstruction: 2000 } }, 'hnsw.efConstruction', '4 to 1000'],
    [{ hnsw: { m: 32, efConstruction: 40 } }, 'hnsw.efConstruction', 'at least 2 * m (64)'],
    [{ efSearch: 0 }, 'efSearch', '1 to 1000'],
  ])('rejects out-of-range index settings %j', async (settings, field, limit) => {
    const result = await t.admin(CREATE, { input: { slug: 'bad-settings', ...settings } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.extensions?.field).toBe(field);
    expect(result.errors?.[0]?.message).toContain(limit);
  });

  it('requires the admin token', async () => {
    const anonymous = await t.gql(CREATE, { input: { slug: 'no-token' } });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
    const wrong = await t.gql(CREATE, { input: { slug: 'no-token' } }, { authorization: 'Bearer not-the-token' });
    expect(errorCode(wrong)).toBe('FORBIDDEN');
    const asTenant = await t.gql(CREATE, { input: { slug: 'no-token' } }, { 'x-tenant-id': 'acme-corp' });
    expect(errorCode(asTenant)).toBe('UNAUTHENTICATED');
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from tenants where slug = 'no-token'`.execute(t.db);
    expect(rows[0]!.n).toBe(0);
  });
});

describe('deleteTenant', () => {
  it('drops the partition with the documents and reports whether the tenant existed', async () => {
    const slug = await t.createTenant('doomed', { placement: 'DEDICATED' });
    await t.as(slug)('mutation { upsertDocuments(documents: [{ content: "to be deleted" }]) { documents { id } } }');
    const deleted = await t.admin('mutation($slug: String!) { deleteTenant(slug: $slug) }', { slug });
    expect(deleted.data?.deleteTenant).toBe(true);
    expect(await partitionExists(slug)).toBe(false);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from documents d join tenants t on t.id = d.tenant_id where t.slug = ${slug}`.execute(t.db);
    expect(rows[0]!.n).toBe(0);
    expect(errorCode(await t.as(slug)('{ tenant { slug } }'))).toBe('TENANT_NOT_FOUND');
    const again = await t.admin('mutation($slug: String!) { deleteTenant(slug: $slug) }', { slug });
    expect(again.data?.deleteTenant).toBe(false);
  });

  it('requires the admin token', async () => {
    const slug = await t.createTenant('kept', { placement: 'DEDICATED' });
    const result = await t.as(slug)('mutation($slug: String!) { deleteTenant(slug: $slug) }', { slug });
    expect(errorCode(result)).toBe('UNAUTHENTICATED');
    expect(await partitionExists(slug)).toBe(true);
  });
});

describe('Query.tenant and tenant resolution', () => {
  it("returns the caller's tenant with its document count", async () => {
    const slug = await t.createTenant('counted');
    await t.as(slug)('mutation { upsertDocuments(documents: [{ content: "one" }, { content: "two" }]) { documents { id } } }');
    const result = await t.as(slug)('{ tenant { slug documentCount } }');
    expect(result.data?.tenant).toEqual({ slug, documentCount: 2 });
  });

  it('answers UNAUTHENTICATED without a tenant header and TENANT_NOT_FOUND for an unknown one', async () => {
    expect(errorCode(await t.gql('{ tenant { slug } }'))).toBe('UNAUTHENTICATED');
    expect(errorCode(await t.as('nobody-here')('{ tenant { slug } }'))).toBe('TENANT_NOT_FOUND');
    expect(errorCode(await t.as("x' or 1=1 --")('{ tenant { slug } }'))).toBe('TENANT_NOT_FOUND');
  });
});
