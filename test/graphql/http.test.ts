import { serverAudits } from 'graphql-http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

let t: TestApp;
let slug: string;
const endpoint = 'http://narwhal.test/graphql';
const RESPONSE_TYPE = 'application/graphql-response+json';

beforeAll(async () => {
  t = await startTestApp();
  slug = await t.createTenant('http');
});
afterAll(async () => {
  await t.close();
});

const fetchAsTenant = (input: RequestInfo | URL, init: RequestInit = {}) =>
  t.app.yoga.fetch(input as string, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-tenant-id': slug } });

describe('GraphQL over HTTP', () => {
  it('passes every MUST and SHOULD audit of graphql-http', async () => {
    const failures: string[] = [];
    for (const audit of serverAudits({ url: endpoint, fetchFn: fetchAsTenant })) {
      if (!/^(MUST|SHOULD)/.test(audit.name)) continue;
      const result = await audit.fn();
      if (result.status !== 'ok') failures.push(`${audit.name}: ${result.reason}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers queries over GET as application/graphql-response+json and refuses mutations over GET', async () => {
    const query = encodeURIComponent('{ tenant { slug } }');
    const get = await fetchAsTenant(`${endpoint}?query=${query}`, { headers: { accept: RESPONSE_TYPE } });
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toContain(RESPONSE_TYPE);
    expect(await get.json()).toEqual({ data: { tenant: { slug } } });

    const mutation = encodeURIComponent('mutation { deleteDocuments(externalIds: ["x"]) }');
    const refused = await fetchAsTenant(`${endpoint}?query=${mutation}`, { headers: { accept: RESPONSE_TYPE } });
    expect(refused.status).toBe(405);
  });

  it('answers malformed requests with 400 and a coded error', async () => {
    const post = (body: string) =>
      fetchAsTenant(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', accept: RESPONSE_TYPE }, body });
    const badJson = await post('{"query": ');
    expect(badJson.status).toBe(400);
    const parse = await post(JSON.stringify({ query: '{ search(' }));
    expect(parse.status).toBe(400);
    expect((await parse.json()).errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const invalid = await post(JSON.stringify({ query: '{ noSuchField }' }));
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const coercion = await post(JSON.stringify({ query: 'query($n: Int) { search(query: "x", first: $n) { hits { rank } } }', variables: { n: 'ten' } }));
    expect(coercion.status).toBe(400);
    expect((await coercion.json()).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});

describe('unexpected errors', () => {
  it('are masked, logged with a request id, and the id is returned to the client', async () => {
    const broken = await t.createTenant('broken');
    // Corrupt the tenant behind the server's back: it now claims a partition that does not exist.
    await sql`update tenants set placement = 'DEDICATED' where slug = ${broken}`.execute(t.db);
    const response = await t.app.yoga.fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tenant-id': broken, 'x-request-id': 'req-test-42' },
      body: JSON.stringify({ query: 'mutation { upsertDocuments(documents: [{ content: "x" }]) { documents { id } } }' }),
    });
    expect(response.headers.get('x-request-id')).toBe('req-test-42');
    const body = await response.json();
    expect(body.errors[0]).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-test-42' } });
    expect(JSON.stringify(body)).not.toMatch(/partition|relation|documents_t/);
    expect(t.unexpectedErrors).toHaveLength(1);
    expect(String(t.unexpectedErrors[0])).toMatch(/partition/);
    expect(t.unexpectedErrorRequestIds).toEqual(['req-test-42']);
    t.unexpectedErrors.length = 0;
  });

  it('gives each request its own id when the caller sends none', async () => {
    const a = await t.app.yoga.fetch(`${endpoint}?query=${encodeURIComponent('{ __typename }')}`);
    const b = await t.app.yoga.fetch(`${endpoint}?query=${encodeURIComponent('{ __typename }')}`);
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });
});
