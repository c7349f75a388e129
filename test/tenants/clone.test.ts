import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATER, expiringDocuments, fillTenant, rowCount, searchAnswers, storedExpiries, storedVectors } from '../helpers/tenant-answers.js';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { PROMOTION_THRESHOLD: '0' } });
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const CLONE = 'mutation($from: String!, $to: String!) { cloneTenant(from: $from, to: $to) { slug name state placement hnsw { m efConstruction } efSearch documentCount indexSizeBytes } }';
const DOCUMENTS = '{ documents(first: 100) { edges { node { externalId content metadata createdAt updatedAt embeddingModel } } } }';

describe('cloneTenant', { timeout: 120_000 }, () => {
  it.each(['SHARED', 'DEDICATED'])('copies a %s tenant: settings, documents bit for bit, an index of its own, the same answers', async (placement) => {
    const from = await t.createTenant('source', { placement, name: 'Source Co', hnsw: { m: 12, efConstruction: 48 }, efSearch: 90 });
    // A tenant beside it, in the same shared pool or with ids interleaved: none of its rows may follow.
    const neighbour = await t.createTenant('neighbour');
    await fillTenant(t, neighbour, 25, 'n');
    await fillTenant(t, from, 230);
    await fillTenant(t, neighbour, 25, 'late');
    const to = `${from}-copy`;

    const cloned = await t.admin(CLONE, { from, to });
    expect(cloned.errors).toBeUndefined();
    expect(cloned.data!.cloneTenant).toMatchObject({
      slug: to,
      name: 'Source Co',
      state: 'ACTIVE',
      placement,
      hnsw: { m: 12, efConstruction: 48 },
      efSearch: 90,
      documentCount: 230,
    });
    if (placement === 'DEDICATED') expect(cloned.data!.cloneTenant.indexSizeBytes).toBeGreaterThan(0);
    else expect(cloned.data!.cloneTenant.indexSizeBytes).toBeNull();

    expect(await storedVectors(t, to)).toEqual(await storedVectors(t, from));
    expect(await searchAnswers(t, to)).toEqual(await searchAnswers(t, from));
    expect((await t.as(to)(DOCUMENTS)).data).toEqual((await t.as(from)(DOCUMENTS)).data);
    expect(await rowCount(t, neighbour)).toBe(50);
    expect(await rowCount(t, from)).toBe(230);

    // The two are independent from here: a write to the clone does not reach the source.
    await t.as(to)('mutation { upsertDocuments(documents: [{ externalId: "doc-0", content: "changed in the clone" }]) { documents { externalId } } }');
    const original = await t.as(from)('{ documents(first: 1) { edges { node { content } } } }');
    expect(original.data!.documents.edges[0].node.content).not.toBe('changed in the clone');
    if (placement === 'DEDICATED') {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_indexes where indexname = (select 'documents_t' || id || '_embedding_hnsw' from tenants where slug = ${to})`.execute(t.db);
      expect(rows[0]!.n).toBe(1);
    }
  });

  it.each(['SHARED', 'DEDICATED'])('keeps each document\'s expiry in a %s clone and leaves out the documents already expired', async (placement) => {
    const from = await t.createTenant('expiring', { placement });
    await expiringDocuments(t, from);
    const to = `${from}-copy`;
    const cloned = await t.admin(CLONE, { from, to });
    expect(cloned.errors).toBeUndefined();
    expect(await storedExpiries(t, to)).toEqual({ forever: null, later: LATER });
  });

  it('refuses an existing target slug (CONFLICT), a bad one (BAD_USER_INPUT on to) and an unknown source', async () => {
    const from = await t.createTenant('src');
    const taken = await t.createTenant('taken');
    await fillTenant(t, from, 3);
    const conflict = await t.admin(CLONE, { from, to: taken });
    expect(errorCode(conflict)).toBe('CONFLICT');
    expect(conflict.errors![0]!.extensions!.field).toBe('to');
    expect(await rowCount(t, taken)).toBe(0);

    const bad = await t.admin(CLONE, { from, to: 'Not A Slug' });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.extensions!.field).toBe('to');

    const unknown = await t.admin(CLONE, { from: 'no-such-tenant', to: 'whatever-x' });
    expect(errorCode(unknown)).toBe('TENANT_NOT_FOUND');
    expect(unknown.errors![0]!.extensions!.field).toBe('from');

    const notAdmin = await t.as(from)(CLONE, { from, to: 'sneaky-copy' });
    expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(errorCode(notAdmin));
  });

  it('refuses to clone a tenant that is not ACTIVE', async () => {
    const from = await t.createTenant('asleep');
    await t.admin('mutation($s: String!) { deactivateTenant(slug: $s) { state } }', { s: from });
    const result = await t.admin(CLONE, { from, to: `${from}-copy` });
    expect(errorCode(result)).toBe('FAILED_PRECONDITION');
    const exists = await t.admin('query($s: String!) { tenantBySlug(slug: $s) { slug } }', { s: `${from}-copy` });
    expect(exists.data!.tenantBySlug).toBeNull();
  });
});
