import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphiqlHtml } from '../helpers/graphiql-html.js';
import { ADMIN_TOKEN, type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

// AUTH_MODE=apikey: tenants authenticate with keys an admin created; x-tenant-id means nothing.
let t: TestApp;
let alpha: string;
let beta: string;

const CREATE = 'mutation($slug: String!, $name: String!) { createApiKey(slug: $slug, name: $name) { key apiKey { id name createdAt lastUsedAt revokedAt } } }';
const WHO = '{ tenant { slug } }';

const withKey = (key: string, headers: Record<string, string> = {}) =>
  (query: string, variables: Record<string, unknown> = {}) => t.gql(query, variables, { authorization: `Bearer ${key}`, ...headers });

async function createKey(slug: string, name: string): Promise<{ key: string; id: string }> {
  const result = await t.admin(CREATE, { slug, name });
  expect(result.errors).toBeUndefined();
  return { key: result.data!.createApiKey.key, id: result.data!.createApiKey.apiKey.id };
}

beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_MODE: 'apikey' } });
  alpha = await t.createTenant('alpha');
  beta = await t.createTenant('beta');
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

describe('API keys', () => {
  it('returns a new key once, in the nwk_<id>_<secret> form, and stores only its sha256', async () => {
    const result = await t.admin(CREATE, { slug: alpha, name: 'ci deploys' });
    const { key, apiKey } = result.data!.createApiKey;
    expect(key).toMatch(/^nwk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(key.slice(4, 20)).toBe(apiKey.id);
    expect(apiKey).toMatchObject({ name: 'ci deploys', lastUsedAt: null, revokedAt: null });
    const { rows } = await sql<Record<string, unknown>>`select * from api_keys where id = ${apiKey.id}`.execute(t.db);
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.key_hash as Buffer).equals(createHash('sha256').update(key).digest())).toBe(true);
    expect(JSON.stringify(rows[0])).not.toContain(key.slice(21));
    const listed = await t.admin('query($s: String!) { tenantBySlug(slug: $s) { apiKeys { id name } } }', { s: alpha });
    expect(JSON.stringify(listed.data)).not.toContain(key.slice(21));
    expect(listed.data!.tenantBySlug.apiKeys).toContainEqual({ id: apiKey.id, name: 'ci deploys' });
  });

  it('authenticates as the key\'s tenant, whatever x-tenant-id says, and records its use', async () => {
    const { key, id } = await createKey(alpha, 'reader');
    expect((await withKey(key)(WHO)).data).toEqual({ tenant: { slug: alpha } });
    expect((await withKey(key, { 'x-tenant-id': beta })(WHO)).data).toEqual({ tenant: { slug: alpha } });
    const write = await withKey(key)('mutation { upsertDocuments(documents: [{ externalId: "k1", content: "keyed write" }]) { documents { externalId } } }');
    expect(write.errors).toBeUndefined();
    expect((await t.as(beta)('{ tenant { documentCount } }')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const listed = await withKey(key)('{ tenant { documentCount apiKeys { id lastUsedAt } } }');
    expect(listed.data!.tenant.documentCount).toBe(1);
    expect(listed.data!.tenant.apiKeys.find((k: { id: string }) => k.id === id).lastUsedAt).not.toBeNull();
  });

  it('refuses requests without a key, with a malformed or unknown key, or with a wrong secret', async () => {
    const { key } = await createKey(beta, 'probe');
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'x-tenant-id': beta }, /Authorization: Bearer/],
      [{ authorization: 'Bearer not-a-key' }, /not a Narwhal API key/],
      [{ authorization: 'Bearer nwk_123_short' }, /malformed Narwhal API key/],
      [{ authorization: `Bearer ${key.slice(0, -1)}` }, /malformed Narwhal API key: .*copied whole/],
      [{ authorization: `Bearer nwk_0000000000000000_${'A'.repeat(43)}` }, /Unknown API key/],
      [{ authorization: `Bearer ${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}` }, /Unknown API key/],
    ];
    for (const [headers, message] of cases) {
      const result = await t.gql(WHO, {}, headers);
      expect(errorCode(result)).toBe('UNAUTHENTICATED');
      expect(result.errors![0]!.message).toMatch(message);
    }
  });

  it('keeps the admin token and tenant keys apart in the shared Authorization header', async () => {
    const { key } = await createKey(alpha, 'not an admin');
    const asAdmin = await t.gql(WHO, {}, { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-tenant-id': alpha });
    expect(errorCode(asAdmin)).toBe('UNAUTHENTICATED');
    expect(asAdmin.errors![0]!.message).toMatch(/admin token is not a tenant credential/);
    expect(errorCode(await withKey(key)('{ tenants { slug } }'))).toBe('FORBIDDEN');
    expect(errorCode(await withKey(key)(CREATE, { slug: beta, name: 'escalate' }))).toBe('FORBIDDEN');
  });

  it('refuses a revoked key and leaves the tenant\'s other keys working', async () => {
    const kept = await createKey(beta, 'kept');
    const revoked = await createKey(beta, 'revoked');
    expect((await withKey(revoked.key)(WHO)).data).toEqual({ tenant: { slug: beta } });
    const result = await t.admin('mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }', { id: revoked.id });
    expect(result.data!.revokeApiKey.revokedAt).not.toBeNull();
    const refused = await withKey(revoked.key)(WHO);
    expect(errorCode(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors![0]!.message).toMatch(/revoked/);
    expect((await withKey(kept.key)(WHO)).data).toEqual({ tenant: { slug: beta } });
  });

  it('validates names and ids, and names a missing tenant or key', async () => {
    const blank = await t.admin(CREATE, { slug: alpha, name: '  ' });
    expect(blank.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(blank.errors![0]!.message).toMatch(/1-100 characters/);
    expect(errorCode(await t.admin(CREATE, { slug: 'no-such-tenant', name: 'x' }))).toBe('TENANT_NOT_FOUND');
    const badId = await t.admin('mutation { revokeApiKey(id: "nope") { id } }');
    expect(badId.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect(errorCode(await t.admin('mutation { revokeApiKey(id: "0123456789abcdef") { id } }'))).toBe('NOT_FOUND');
  });

  it('stops authenticating once the tenant is deleted', async () => {
    const doomed = await t.createTenant('doomed');
    const { key } = await createKey(doomed, 'short-lived');
    expect((await withKey(key)(WHO)).data).toEqual({ tenant: { slug: doomed } });
    await t.admin('mutation($s: String!) { deleteTenant(slug: $s) }', { s: doomed });
    expect(errorCode(await withKey(key)(WHO))).toBe('TENANT_NOT_FOUND');
  });

  it('GraphiQL prefills an Authorization header for a key, not x-tenant-id, and its welcome says AUTH_MODE=apikey', async () => {
    const html = await graphiqlHtml(t);
    expect(html.includes('AUTH_MODE=apikey'), 'AUTH_MODE=apikey').toBe(true);
    expect(html.includes('Bearer <an API key of the demo tenant'), 'Bearer <an API key of the demo tenant').toBe(true);
    expect(html.includes('x-tenant-id'), 'x-tenant-id').toBe(false);
  });
});
