import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type TestApp, startTestApp } from '../helpers/test-app.js';

// The HTTP status of each error code under both response types, as README's error table states
// it: application/json (legacy clients) and application/graphql-response+json.
let t: TestApp;
let slug: string;
beforeAll(async () => {
  t = await startTestApp({ env: { MAX_DOCUMENTS_PER_TENANT: '1', MAX_REQUEST_BYTES: '100000' } });
  slug = await t.createTenant('statuses');
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const tenant = () => ({ 'x-tenant-id': slug });
const admin = () => ({ authorization: `Bearer ${ADMIN_TOKEN}` });
const body = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, ...(variables ? { variables } : {}) });

// [code, headers, body, status under application/json, status under application/graphql-response+json]
const CASES: [string, string, () => Record<string, string>, () => string, number, number][] = [
  ['BAD_USER_INPUT', 'from a resolver', tenant, () => body('{ search(query: "") { info { reason } } }'), 200, 200],
  ['BAD_USER_INPUT', 'before execution (a list longer than any argument takes)', tenant, () => body('query($v: [Float!]) { search(vector: $v) { info { reason } } }', { v: new Array(5000).fill(0.1) }), 200, 400],
  ['BAD_USER_INPUT', 'a variable of the wrong type', tenant, () => body('query($n: Int) { search(query: "x", first: $n) { info { reason } } }', { n: 'x' }), 400, 400],
  ['UNAUTHENTICATED', 'no credential', () => ({}), () => body('{ tenant { slug } }'), 200, 200],
  ['FORBIDDEN', 'not the admin token', () => ({ authorization: 'Bearer nope' }), () => body('{ tenants { slug } }'), 200, 200],
  ['TENANT_NOT_FOUND', 'unknown slug', () => ({ 'x-tenant-id': 'no-such-tenant' }), () => body('{ tenant { slug } }'), 200, 200],
  ['NOT_FOUND', 'unknown key', admin, () => body('mutation { revokeApiKey(id: "ffffffffffffffff") { id } }'), 200, 200],
  ['CONFLICT', 'slug taken', admin, () => body(`mutation { createTenant(input: { slug: "${slug}" }) { slug } }`), 200, 200],
  ['FAILED_PRECONDITION', 'rebuild a SHARED tenant', admin, () => body(`mutation { rebuildTenantIndex(slug: "${slug}", hnsw: { m: 16 }) { slug } }`), 200, 200],
  ['QUOTA_EXCEEDED', 'over MAX_DOCUMENTS_PER_TENANT', tenant, () => body('mutation { upsertDocuments(documents: [{ content: "a" }, { content: "b" }]) { documents { id } } }'), 200, 200],
  ['QUERY_TOO_COMPLEX', 'too many aliases', tenant, () => body(`{ ${Array.from({ length: 40 }, (_, i) => `a${i}: tenant { slug }`).join(' ')} }`), 200, 400],
  ['GRAPHQL_PARSE_FAILED', 'not GraphQL', tenant, () => body('{ x'), 200, 400],
  ['GRAPHQL_VALIDATION_FAILED', 'no such field', tenant, () => body('{ nosuch }'), 200, 400],
  ['BAD_REQUEST', 'a body that is not JSON', tenant, () => '{"query": ', 400, 400],
  ['BAD_REQUEST', 'no query', tenant, () => '{}', 200, 400],
  ['PAYLOAD_TOO_LARGE', 'over MAX_REQUEST_BYTES', tenant, () => body('{ tenant { slug } }', { x: 'y'.repeat(200_000) }), 413, 413],
];

describe('error codes and HTTP statuses', () => {
  it.each(CASES)('%s (%s)', async (code, _what, headers, makeBody, jsonStatus, graphqlResponseStatus) => {
    for (const [accept, status] of [
      ['application/json', jsonStatus],
      ['application/graphql-response+json', graphqlResponseStatus],
    ] as const) {
      const response = await t.app.yoga.fetch('http://narwhal.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept, ...headers() },
        body: makeBody(),
      });
      const result = (await response.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] };
      expect({ accept, status: response.status, code: result.errors?.[0]?.extensions?.code }).toEqual({ accept, status, code });
    }
  });

  it('an invalid JSON body: one message saying where it broke, the body not echoed', async () => {
    const response = await t.app.yoga.fetch('http://narwhal.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...tenant() },
      body: '{"query": "{ secret-body-text }" ',
    });
    const text = await response.text();
    expect(text).not.toContain('secret-body-text');
    expect(JSON.parse(text)).toEqual({
      errors: [{ message: 'POST body sent invalid JSON (at character 33).', extensions: { code: 'BAD_REQUEST' } }],
    });
  });

  it('a count past its range is BAD_USER_INPUT naming the argument and range, not a cost', async () => {
    for (const [query, message] of [
      ['{ search(query: "x", first: 100000) { hits { rank } } }', 'first: must be an integer from 1 to 1000, got 100000'],
      ['{ documents(first: 100000) { edges { cursor } } }', 'first: must be an integer from 0 to 100, got 100000'],
      ['query($n: Int) { documents(last: $n) { edges { cursor } } }', 'last: must be an integer from 0 to 100, got 101'],
    ] as const) {
      const response = await t.app.yoga.fetch('http://narwhal.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...tenant() },
        body: JSON.stringify({ query, variables: { n: 101 } }),
      });
      const result = (await response.json()) as { data: unknown; errors: { message: string; extensions: Record<string, unknown> }[] };
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT', field: message.split(':')[0] } });
      expect(result.data).toBeNull();
    }
  });
});
