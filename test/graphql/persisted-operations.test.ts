import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { parseTrustedDocuments } from '../../src/graphql/persisted-operations.plugin.js';
import { ADMIN_TOKEN, type TestApp, startTestApp } from '../helpers/test-app.js';

const endpoint = 'http://narwhal.test/graphql';
const TENANT_QUERY = 'query TenantSlug { tenant { slug } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

async function post(t: TestApp, slug: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await t.app.yoga.fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', 'x-tenant-id': slug, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}

describe('automatic persisted queries (the default)', () => {
  let t: TestApp;
  let slug: string;
  beforeAll(async () => {
    t = await startTestApp();
    slug = await t.createTenant('apq');
  });
  afterAll(async () => t.close());

  it('asks for an unknown hash once, then runs the operation by its hash alone', async () => {
    const hash = sha256(TENANT_QUERY);
    const unknown = await post(t, slug, { extensions: persisted(hash) });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors?.[0]).toMatchObject({ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } });

    const registered = await post(t, slug, { query: TENANT_QUERY, extensions: persisted(hash) });
    expect(registered.body).toEqual({ data: { tenant: { slug } } });
    const byHash = await post(t, slug, { extensions: persisted(hash), operationName: 'TenantSlug' });
    expect(byHash).toEqual({ status: 200, body: { data: { tenant: { slug } } } });
    expect(t.unexpectedErrors).toEqual([]);
  });

  it('refuses a hash that is not the text\'s', async () => {
    const mismatch = await post(t, slug, { query: TENANT_QUERY, extensions: persisted(sha256('something else')) });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_MISMATCH');
  });
});

describe('trusted documents', () => {
  let t: TestApp;
  let slug: string;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'narwhal-trusted-'));
    const manifest = join(dir, 'persisted-documents.json');
    await writeFile(manifest, JSON.stringify({ [sha256(TENANT_QUERY)]: TENANT_QUERY }));
    t = await startTestApp({ env: { PERSISTED_OPERATIONS: 'trusted', TRUSTED_DOCUMENTS: manifest } });
    slug = await t.createTenant('trusted');
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the manifest\'s operations by id', async () => {
    expect(await post(t, slug, { extensions: persisted(sha256(TENANT_QUERY)) })).toEqual({ status: 200, body: { data: { tenant: { slug } } } });
  });

  it('refuses operation text, and ids not in the manifest, with coded errors', async () => {
    const text = await post(t, slug, { query: TENANT_QUERY });
    expect(text.status).toBe(400);
    expect(text.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_REQUIRED');
    expect(text.body.errors?.[0]?.message).toMatch(/trusted documents only/);
    const textWithHash = await post(t, slug, { query: '{ tenant { name } }', extensions: persisted(sha256('{ tenant { name } }')) });
    expect(textWithHash.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_REQUIRED');
    const unknown = await post(t, slug, { extensions: persisted(sha256('{ tenant { name } }')) });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(t.unexpectedErrors).toEqual([]);
  });

  it('still lets the admin token send operation text (the admin CLI, an operator\'s GraphiQL)', async () => {
    const admin = await post(t, slug, { query: '{ tenants { slug } }' }, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(admin.status).toBe(200);
    expect(admin.body.data.tenants.map((tenant: { slug: string }) => tenant.slug)).toContain(slug);
  });
});

describe('trusted-documents manifests', () => {
  it('reads GraphQL Codegen\'s and Apollo\'s formats', () => {
    expect(parseTrustedDocuments({ [sha256(TENANT_QUERY)]: TENANT_QUERY }, 'm')).toEqual(new Map([[sha256(TENANT_QUERY), TENANT_QUERY]]));
    const apollo = { format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'tenant-slug', name: 'TenantSlug', type: 'query', body: TENANT_QUERY }] };
    expect(parseTrustedDocuments(apollo, 'm')).toEqual(new Map([['tenant-slug', TENANT_QUERY]]));
  });

  it('refuses a manifest whose sha256 ids do not match their text, or that lists nothing', () => {
    expect(() => parseTrustedDocuments({ [sha256('other')]: TENANT_QUERY }, 'm.json')).toThrow(/m.json: operation "[0-9a-f]{64}" is not the sha256 of its text/);
    expect(() => parseTrustedDocuments({}, 'm.json')).toThrow(/lists no operations/);
    expect(() => parseTrustedDocuments({ format: 'apollo-persisted-query-manifest', operations: [{ body: TENANT_QUERY }] }, 'm.json')).toThrow(/operations\[0\] has no id/);
  });

  it('is configured together with PERSISTED_OPERATIONS=trusted, and WORKERS > 1 needs an external database', () => {
    expect(() => loadConfig({ PERSISTED_OPERATIONS: 'trusted' })).toThrow(/TRUSTED_DOCUMENTS/);
    expect(() => loadConfig({ TRUSTED_DOCUMENTS: 'x.json' })).toThrow(/TRUSTED_DOCUMENTS/);
    expect(() => loadConfig({ WORKERS: '2' })).toThrow(/WORKERS.*DATABASE_URL/s);
    expect(loadConfig({ WORKERS: '2', DATABASE_URL: 'postgres://localhost/x' }).workers).toBe(2);
  });
});
