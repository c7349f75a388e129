import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBoundedLabel, OTHER_LABEL } from '../../src/observability/bounded-labels.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

let t: TestApp;
let slug: string;

beforeAll(async () => {
  t = await startTestApp();
  slug = await t.createTenant('metrics');
});
afterAll(async () => {
  await t.close();
});

const scrape = async () => {
  const response = await t.app.yoga.fetch('http://narwhal.test/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
};

/** The value of one sample line, e.g. sample(text, 'narwhal_search_total{strategy="EXACT",mode="VECTOR"}'). */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

const labelValues = (text: string, metric: string, label: string) =>
  new Set([...text.matchAll(new RegExp(`^${metric}\\{[^}]*${label}="([^"]*)"`, 'gm'))].map((m) => m[1]));

describe('GET /metrics', () => {
  it('exposes request latency by operation and type, search strategies, embedding batches, cache and pool', async () => {
    const as = t.as(slug);
    const upsert = await as('mutation AddDocs($docs: [DocumentInput!]!) { upsertDocuments(documents: $docs) { documents { id } } }', {
      docs: [{ externalId: 'a', content: 'refunds within 14 days' }, { externalId: 'b', content: 'export data as CSV' }],
    });
    expect(upsert.errors).toBeUndefined();
    const query = 'query FindRefunds($q: String!) { search(query: $q, first: 2) { info { strategy } } }';
    const found = await as(query, { q: 'refund' });
    expect(found.data?.search.info.strategy).toBe('EXACT');
    await as(query, { q: 'refund' }); // the same text again: a query-cache hit
    const dedicated = await t.createTenant('metrics-dedicated', { placement: 'DEDICATED' });
    await t.as(dedicated)('mutation { upsertDocuments(documents: [{ content: "refunds" }]) { documents { id } } }');
    const walked = await t.as(dedicated)('{ search(query: "refund") { info { strategy } } }');
    expect(walked.data?.search.info.strategy).toBe('HNSW');
    await as('{ noSuchField }');

    const text = await scrape();
    expect(sample(text, 'narwhal_graphql_request_duration_seconds_count{operation="FindRefunds",type="query"}')).toBe(2);
    expect(sample(text, 'narwhal_graphql_request_duration_seconds_count{operation="AddDocs",type="mutation"}')).toBe(1);
    // An anonymous operation with one root field is labelled by that field.
    expect(sample(text, 'narwhal_graphql_request_duration_seconds_count{operation="search",type="query"}')).toBe(1);
    expect(sample(text, 'narwhal_search_total{strategy="EXACT",mode="VECTOR"}')).toBe(2);
    expect(sample(text, 'narwhal_search_total{strategy="HNSW",mode="VECTOR"}')).toBe(1);
    expect(sample(text, 'narwhal_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}')).toBe(1);
    expect(sample(text, 'narwhal_embedding_batch_size_sum{kind="documents"}')).toBe(3);
    expect(sample(text, 'narwhal_embedding_batch_duration_seconds_count{kind="queries",outcome="ok"}')).toBeGreaterThanOrEqual(1);
    // "refund" was embedded once: the repeat and the other tenant's search of it were cache hits.
    expect(sample(text, 'narwhal_query_cache_lookups_total{result="hit"}')).toBe(2);
    expect(sample(text, 'narwhal_query_cache_lookups_total{result="miss"}')).toBe(1);
    expect(sample(text, 'narwhal_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'narwhal_db_pool_connections{state="waiting"}')).toBe(0);
    // No tenant ever becomes a label: slugs are unbounded and belong to customers.
    expect(text).not.toContain(slug);
    expect(text).not.toContain(dedicated);
  });

  it('keeps operation labels bounded whatever names clients send', async () => {
    const names = Array.from({ length: 130 }, (_, i) => `Probe${i}`);
    for (const name of names) await t.gql(`query ${name} { __typename }`);
    await t.gql(`query ${'L'.repeat(65)} { __typename }`);
    const labels = labelValues(await scrape(), 'narwhal_graphql_request_duration_seconds_bucket', 'operation');
    expect(labels.has(OTHER_LABEL)).toBe(true);
    expect(labels.has('Probe0')).toBe(true);
    expect(labels.has('Probe129')).toBe(false);
    expect([...labels].some((label) => label!.length > 64)).toBe(false);
    // 100 client names at most, plus the schema's root fields and "other".
    expect([...labels].filter((label) => label!.startsWith('Probe')).length).toBeLessThanOrEqual(100);
  });
});

describe('createBoundedLabel', () => {
  it('passes known values, admits up to maxDistinct plain short names, and collapses the rest to other', () => {
    const label = createBoundedLabel({ known: ['search'], maxDistinct: 2 });
    expect(label('A')).toBe('A');
    expect(label('B')).toBe('B');
    expect(label('C')).toBe(OTHER_LABEL);
    expect(label('A')).toBe('A');
    expect(label('search')).toBe('search');
    expect(createBoundedLabel({ maxDistinct: 5 })('x'.repeat(65))).toBe(OTHER_LABEL);
    expect(createBoundedLabel({ maxDistinct: 5 })('not a name')).toBe(OTHER_LABEL);
  });
});

describe('rate-limit rejections', () => {
  it('are counted as GraphQL errors with code RATE_LIMITED', async () => {
    // One request of budget, refilled once in 1,000 s: the second request is refused.
    const limited = await startTestApp({ env: { RATE_LIMIT_PER_SECOND: '0.001', RATE_LIMIT_BURST: '1' } });
    try {
      const tenant = await limited.createTenant('limited');
      expect((await limited.as(tenant)('{ tenant { slug } }')).errors).toBeUndefined();
      const refused = await limited.as(tenant)('{ tenant { slug } }');
      expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      const text = await (await limited.app.yoga.fetch('http://narwhal.test/metrics')).text();
      expect(sample(text, 'narwhal_graphql_errors_total{code="RATE_LIMITED"}')).toBe(1);
    } finally {
      await limited.close();
    }
  });
});
