import { connect } from 'node:net';
import { GraphQLError } from 'graphql';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainErrorFromDatabase } from '../../src/db/postgres-errors.js';
import { toClientError } from '../../src/graphql/client-errors.js';
import { inTenantSession } from '../../src/tenants/tenant-session.js';
import { findTenantBySlug } from '../../src/tenants/tenant.service.js';
import { serveOnLoopback } from '../helpers/http-server.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

const endpoint = 'http://narwhal.test/graphql';
const JSON_TYPE = { 'content-type': 'application/json' };

describe('with the default limits', () => {
  let t: TestApp;
  let slug: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_REQUEST_BYTES: String(12 * 1024 * 1024) } });
    slug = await t.createTenant('guards');
  });
  afterAll(async () => {
    expect(t.unexpectedErrors).toEqual([]);
    await t.close();
  });
  const post = (body: BodyInit, headers: Record<string, string> = JSON_TYPE, init: Record<string, unknown> = {}) =>
    t.app.yoga.fetch(endpoint, { method: 'POST', headers: { 'x-tenant-id': slug, ...headers }, body, ...init } as RequestInit);

  it('fits an upsert of 1,000 512-d vectors (about 10.5 MB of JSON) under a 12 MiB limit', async () => {
    const documents = Array.from({ length: 1000 }, (_, i) => ({
      externalId: `v${i}`,
      content: `vector document ${i}`,
      embedding: Array.from({ length: 512 }, () => Math.fround(Math.random() * 2 - 1)),
    }));
    const body = JSON.stringify({ query: 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', variables: { d: documents } });
    expect(body.length).toBeGreaterThan(10_000_000);
    const response = await post(body);
    expect(response.status).toBe(200);
    const result = await response.json();
    expect(result.errors).toBeUndefined();
    expect(result.data.upsertDocuments.documents).toHaveLength(1000);
  }, 120_000);

  it('answers a larger body with 413 before parsing it, whether or not it declares its length', async () => {
    const big = JSON.stringify({ query: `{ tenant { slug } } # ${'x'.repeat(13 * 1024 * 1024)}` });
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({
      errors: [{ message: `The request body is larger than the ${12 * 1024 * 1024} bytes allowed (MAX_REQUEST_BYTES)`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
    });
    // Streamed in chunks with no Content-Length: cut off once the bytes read pass the limit.
    let sent = 0;
    const chunk = new TextEncoder().encode('x'.repeat(1024 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 64) return controller.close(); // 64 MiB if read to the end
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const streamed = await post(stream, JSON_TYPE, { duplex: 'half' });
    expect(streamed.status).toBe(413);
    expect(sent).toBeLessThan(64);
  });

  // The limit trusts a declared length (request-size.plugin.ts): over HTTP, the bytes past it are
  // never part of the body; they are read as the next request, which meets the limit on its own.
  it('reads no more body than Content-Length declares over HTTP: what follows is the next request', async () => {
    const server = await serveOnLoopback(t.app.yoga);
    try {
      const request = (query: string, headers = '') => {
        const body = JSON.stringify({ query });
        return `POST /graphql HTTP/1.1\r\nhost: narwhal.test\r\ncontent-type: application/json\r\nx-tenant-id: ${slug}\r\n${headers}content-length: ${body.length}\r\n\r\n${body}`;
      };
      const socket = connect(Number(new URL(server.origin).port), '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      const closed = new Promise((resolve) => socket.on('close', resolve));
      // Sent in one write: were the first body read past its length, it would not be valid JSON.
      socket.write(request('{ first: __typename }') + request('{ second: __typename }', 'connection: close\r\n'));
      await closed;
      const answers = Buffer.concat(received).toString('utf8');
      expect(answers.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
      expect(answers.indexOf('{"data":{"first":"Query"}}')).toBeGreaterThan(0);
      expect(answers.indexOf('{"data":{"second":"Query"}}')).toBeGreaterThan(answers.indexOf('{"data":{"first":"Query"}}'));
    } finally {
      await server.close();
    }
  });

  it('refuses requests a browser could send cross-site without a preflight (CSRF)', async () => {
    const query = encodeURIComponent('{ __typename }');
    const bareGet = await t.app.yoga.fetch(`${endpoint}?query=${query}`);
    expect(bareGet.status).toBe(400);
    expect((await bareGet.json()).errors[0].extensions.code).toBe('CSRF_REJECTED');
    const form = await t.app.yoga.fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${query}`,
    });
    expect((await form.json()).errors[0].extensions.code).toBe('CSRF_REJECTED');
    const textPlain = await t.app.yoga.fetch(endpoint, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ __typename }"}' });
    expect(textPlain.status).toBe(400);
    // A JSON body, a tenant header or a preflight header each prove a preflighted (or non-browser) client.
    const json = await t.app.yoga.fetch(endpoint, { method: 'POST', headers: JSON_TYPE, body: '{"query":"{ __typename }"}' });
    expect(await json.json()).toEqual({ data: { __typename: 'Query' } });
    const tenantGet = await t.app.yoga.fetch(`${endpoint}?query=${query}`, { headers: { 'x-tenant-id': slug } });
    expect(tenantGet.status).toBe(200);
    const preflight = await t.app.yoga.fetch(`${endpoint}?query=${query}`, { headers: { 'graphql-require-preflight': '1' } });
    expect(preflight.status).toBe(200);
  });

  it('answers introspection and serves GraphiQL outside production', async () => {
    const introspection = await t.as(slug)('{ __schema { queryType { name } } }');
    expect(introspection.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const page = await t.app.yoga.fetch(endpoint, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('sets the statement timeout inside each tenant transaction only', async () => {
    expect((await t.as(slug)('{ search(query: "vector", first: 1) { hits { rank } } }')).errors).toBeUndefined();
    const tenant = (await findTenantBySlug(t.app.deps, slug))!;
    const inside = await inTenantSession(t.database, tenant, { run: ({ db }) => sql<{ statement_timeout: string }>`show statement_timeout`.execute(db) });
    expect(inside.rows[0]!.statement_timeout).not.toBe('0');
    // Transaction-local: the pooled connection is back to the server default afterwards.
    const { rows } = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(t.db);
    expect(rows[0]!.statement_timeout).toBe('0');
  });

  it('reports a statement the database cancelled (SQLSTATE 57014) as TIMEOUT, not as an internal error', () => {
    const cancelled = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    const error = toClientError(new GraphQLError(cancelled.message, { originalError: cancelled, path: ['search'] }), domainErrorFromDatabase) as GraphQLError;
    expect(error.extensions.code).toBe('TIMEOUT');
    expect(error.message).toMatch(/ran longer than the statement timeout/);
    expect(error.path).toEqual(['search']);
  });

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a server shutting down (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['a pool that cannot connect in time', new Error('timeout exceeded when trying to connect')],
  ])('reports %s as DATABASE_UNAVAILABLE with HTTP 503, not as an internal error', (_name, cause) => {
    const error = toClientError(new GraphQLError(cause.message, { originalError: cause, path: ['search'] }), domainErrorFromDatabase) as GraphQLError;
    expect(error.extensions.code).toBe('DATABASE_UNAVAILABLE');
    expect(error.extensions.http).toMatchObject({ status: 503 });
    expect(error.message).not.toContain('127.0.0.1');
  });
});

describe('with INTROSPECTION=false and GRAPHIQL=false (the production defaults)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { INTROSPECTION: 'false', GRAPHIQL: 'false' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses __schema and __type, hides field suggestions, and still serves federation its SDL', async () => {
    const schema = await t.gql('{ __schema { types { name } } }', {}, { accept: 'application/graphql-response+json' });
    expect(schema.status).toBe(400);
    expect(schema.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(schema.errors?.[0]?.message).toMatch(/introspection has been disabled/);
    expect((await t.gql('{ __type(name: "Document") { name } }')).errors?.[0]?.message).toMatch(/introspection has been disabled/);
    const typo = await t.gql('{ tenantt { slug } }');
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const sdl = await t.gql('{ _service { sdl } }');
    expect(sdl.data!._service.sdl).toContain('@key(fields: "id")');
  });

  it('does not serve GraphiQL', async () => {
    const page = await t.app.yoga.fetch(endpoint, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
  });
});
