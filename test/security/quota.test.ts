import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

const UPSERT = 'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { externalId } } }';
const COUNT = '{ tenant { documentCount } }';
const docs = (...ids: string[]) => ids.map((id) => ({ externalId: id, content: `document ${id}` }));

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { MAX_DOCUMENTS_PER_TENANT: '5' } });
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

describe('MAX_DOCUMENTS_PER_TENANT', () => {
  it('rejects a whole batch that would pass the limit, naming the limit and the count, before embedding it', async () => {
    const slug = await t.createTenant('quota');
    const as = t.as(slug);
    expect((await as(UPSERT, { d: docs('a', 'b', 'c') })).errors).toBeUndefined();

    const embedsBefore = t.embedderCalls.length;
    const over = await as(UPSERT, { d: docs('d', 'e', 'f') });
    expect(errorCode(over)).toBe('QUOTA_EXCEEDED');
    expect(over.errors![0]!.extensions).toMatchObject({ field: 'documents', limit: 5, current: 3, adding: 3 });
    expect(over.errors![0]!.message).toMatch(/at most 5 documents \(MAX_DOCUMENTS_PER_TENANT\); it holds 3 and this batch would add 3/);
    expect(t.embedderCalls.length).toBe(embedsBefore);
    expect((await as(COUNT)).data!.tenant.documentCount).toBe(3);

    // Replacing documents takes no room: 3 replaced + 2 new is exactly the limit.
    const fits = await as(UPSERT, { d: [...docs('a', 'b'), { externalId: 'c', content: 'changed' }, ...docs('d', 'e')] });
    expect(fits.errors).toBeUndefined();
    expect((await as(COUNT)).data!.tenant.documentCount).toBe(5);
    expect((await as(UPSERT, { d: [{ externalId: 'a', content: 'changed again' }] })).errors).toBeUndefined();
    expect(errorCode(await as(UPSERT, { d: docs('g') }))).toBe('QUOTA_EXCEEDED');

    // Deleting makes room again.
    await as('mutation { deleteDocuments(externalIds: ["a"]) }');
    expect((await as(UPSERT, { d: docs('g') })).errors).toBeUndefined();
  });

  it('counts concurrent batches one after the other: of two that each fit alone, only one lands', async () => {
    const slug = await t.createTenant('quota-race');
    const as = t.as(slug);
    const results = await Promise.all([as(UPSERT, { d: docs('x1', 'x2', 'x3') }), as(UPSERT, { d: docs('y1', 'y2', 'y3') })]);
    expect(results.map(errorCode).sort()).toEqual(['QUOTA_EXCEEDED', undefined]);
    expect((await as(COUNT)).data!.tenant.documentCount).toBe(3);
  });

  it('is per tenant: a full tenant does not limit another', async () => {
    const full = await t.createTenant('quota-full');
    const other = await t.createTenant('quota-other');
    expect((await t.as(full)(UPSERT, { d: docs('1', '2', '3', '4', '5') })).errors).toBeUndefined();
    expect((await t.as(other)(UPSERT, { d: docs('1', '2', '3', '4', '5') })).errors).toBeUndefined();
  });
});
