import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { ADMIN_TOKEN, type TestApp, startTestApp } from '../helpers/test-app.js';

/** Every line the app logged, parsed: the JSON-lines contract is that each one parses. */
const lines: string[] = [];
const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
const requestRecords = () => records().filter((r) => r.msg === 'graphql request');

let t: TestApp;
let slug: string;
const SECRET_CONTENT = 'confidential-memo-7f3a';
const SECRET_QUERY = 'whispered-question-91c2';
const VECTOR_VALUE = 0.123456789;

beforeAll(async () => {
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  t = await startTestApp({ logger: createLogger({ logLevel: 'info' }, destination) });
  slug = await t.createTenant('logs');
});
afterAll(async () => {
  await t.close();
});

const post = (body: object, headers: Record<string, string>) =>
  t.app.yoga.fetch('http://narwhal.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('request log lines', () => {
  it('log each request once, as JSON with request id, tenant, operation, duration and outcome', async () => {
    lines.length = 0;
    const upsert = await post(
      {
        query: 'mutation Remember($docs: [DocumentInput!]!) { upsertDocuments(documents: $docs) { documents { id } } }',
        variables: { docs: [{ externalId: 'm', content: SECRET_CONTENT }] },
      },
      { 'x-tenant-id': slug, 'x-request-id': 'log-test-1' },
    );
    expect(upsert.status).toBe(200);
    const search = await post(
      { query: 'query Ask($q: String!) { search(query: $q) { hits { rank } } }', variables: { q: SECRET_QUERY } },
      { 'x-tenant-id': slug },
    );
    const vector = await post(
      { query: 'query ByVector($v: [Float!]) { search(vector: $v) { hits { rank } } }', variables: { v: [VECTOR_VALUE] } },
      { 'x-tenant-id': slug },
    );
    const unknown = await post({ query: '{ tenant { slug } }' }, { 'x-tenant-id': 'no-such-tenant-here' });

    const logged = requestRecords();
    expect(logged).toHaveLength(4);
    expect(logged[0]).toMatchObject({
      level: 'info',
      requestId: 'log-test-1',
      tenant: slug,
      operation: 'Remember',
      operationType: 'mutation',
      status: 200,
      outcome: 'ok',
    });
    expect(typeof logged[0]!.durationMs).toBe('number');
    expect(logged[1]).toMatchObject({ requestId: search.headers.get('x-request-id'), tenant: slug, operation: 'Ask', operationType: 'query', outcome: 'ok' });
    // A one-number vector is the wrong length: the line carries the code, never the value.
    expect(logged[2]).toMatchObject({ operation: 'ByVector', outcome: 'error', errorCodes: ['BAD_USER_INPUT'] });
    expect(vector.status).toBe(200);
    // A tenant that was not resolved is not named.
    expect(logged[3]).toMatchObject({ requestId: unknown.headers.get('x-request-id'), outcome: 'error', errorCodes: ['TENANT_NOT_FOUND'] });
    expect(logged[3]).not.toHaveProperty('tenant');
  });

  it('log refusals answered before GraphQL runs as errors, with their status', async () => {
    lines.length = 0;
    // A form post, as another site could send: refused before it is parsed.
    const forged = await t.app.yoga.fetch('http://narwhal.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: '{ tenant { slug } }' }).toString(),
    });
    expect(forged.status).toBe(400);
    expect(requestRecords()).toEqual([
      expect.objectContaining({ requestId: forged.headers.get('x-request-id'), status: 400, outcome: 'error' }),
    ]);
  });

  it('never carry tokens, variables, query text or vectors', async () => {
    lines.length = 0;
    await t.admin('query Everyone { tenants { slug } }');
    await post(
      { query: 'query Ask($q: String!) { search(query: $q) { hits { rank } } }', variables: { q: SECRET_QUERY } },
      { 'x-tenant-id': slug, authorization: 'Bearer not-the-admin-token-xyz' },
    );
    await post(
      { query: `mutation { upsertDocuments(documents: [{ content: "${SECRET_CONTENT}", embedding: [${VECTOR_VALUE}] }]) { documents { id } } }` },
      { 'x-tenant-id': slug },
    );
    expect(requestRecords()).toHaveLength(3);
    const text = lines.join('\n');
    for (const secret of [ADMIN_TOKEN, 'not-the-admin-token-xyz', SECRET_QUERY, SECRET_CONTENT, String(VECTOR_VALUE)]) {
      expect(text).not.toContain(secret);
    }
  });

  it('redact secrets and vectors from any object logged', () => {
    const captured: string[] = [];
    const logger = createLogger(
      { logLevel: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          captured.push(String(chunk));
          done();
        },
      }),
    );
    logger.info({
      request: { headers: { authorization: 'Bearer s3cr3t-token' } },
      config: { apiKey: 'sk-live-123' },
      variables: { q: 'private words' },
      input: { embedding: [0.987654321] },
    });
    const [line] = captured;
    expect(line).toBeDefined();
    for (const secret of ['s3cr3t-token', 'sk-live-123', 'private words', '0.987654321']) expect(line).not.toContain(secret);
  });
});
