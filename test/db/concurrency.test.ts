import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

describe('concurrent requests through the pool', () => {
  // On the embedded engine every request shares one pooled connection to one PGlite session;
  // a transaction left open or a setting leaking across requests would hang or corrupt this.
  it('serves interleaved transactional searches and upserts across tenants, all completing', async () => {
    const slugs = [await t.createTenant('busy'), await t.createTenant('busy')];
    const work: Promise<unknown>[] = [];
    for (let round = 0; round < 15; round++) {
      for (const slug of slugs) {
        work.push(
          t.as(slug)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', {
            d: [{ externalId: `r${round}`, content: `round ${round} text for ${slug}` }],
          }),
          t.as(slug)('query($e: Int) { search(query: "round text", first: 5, efSearch: $e) { hits { rank } } }', {
            e: 10 + round,
          }),
          t.as(slug)('{ search(query: "round", first: 3, filter: { none: true }) { hits { rank } } }'),
        );
      }
    }
    const results = (await Promise.all(work)) as { errors?: unknown }[];
    expect(results.filter((r) => r.errors)).toEqual([]);
    for (const slug of slugs) {
      const count = await t.as(slug)('{ tenant { documentCount } }');
      expect(count.data!.tenant.documentCount).toBe(15);
    }
  });

  it('does not let a failed transaction poison the connection for the next request', async () => {
    const slug = await t.createTenant('poison');
    const bad = await t.as(slug)('mutation { upsertDocuments(documents: [{ content: "x", metadata: { a: "\\u0000" } }]) { documents { id } } }');
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const good = await t.as(slug)('mutation { upsertDocuments(documents: [{ content: "y" }]) { documents { externalId } } }');
    expect(good.errors).toBeUndefined();
  });
});
