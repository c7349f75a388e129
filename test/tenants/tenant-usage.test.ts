import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveOnLoopback } from '../helpers/http-server.js';
import { ADMIN_TOKEN, type TestApp, startTestApp } from '../helpers/test-app.js';

// No flush timer: counts reach the database only when the test flushes (or the app closes).
let t: TestApp;
let server: Awaited<ReturnType<typeof serveOnLoopback>>;
beforeAll(async () => {
  t = await startTestApp({ env: { USAGE_FLUSH_INTERVAL_MS: '0', EXPIRY_PURGE_INTERVAL_MS: '0' } });
  server = await serveOnLoopback(t.app.yoga);
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await server.close();
  await t.close();
});

const UPSERT = `mutation($documents: [DocumentInput!]!) { upsertDocuments(documents: $documents) { documents { id } } }`;
const USAGE = `{ tenant { usage { documents tableBytes indexBytes searches writes embeddingTokens days { day searches writes embeddingTokens } } } }`;

const tokens = (...texts: string[]) => texts.reduce((sum, text) => sum + Math.ceil(Buffer.byteLength(text, 'utf8') / 3), 0);

async function storedUsage(slug: string) {
  const { rows } = await sql<{ searches: string; writes: string; embedding_tokens: string }>`
    select u.searches, u.writes, u.embedding_tokens from tenant_usage_daily u join tenants t on t.id = u.tenant_id
     where t.slug = ${slug}`.execute(t.db);
  return rows.map((row) => ({ searches: Number(row.searches), writes: Number(row.writes), embeddingTokens: Number(row.embedding_tokens) }));
}

describe('Tenant.usage', () => {
  it('counts searches, writes and embedding tokens per day, kept in the database after a flush', async () => {
    const slug = await t.createTenant('usage');
    const texts = ['a harbour with boats', 'a field of wheat', 'mountains under snow ❄'];
    const written = await t.as(slug)(UPSERT, { documents: texts.map((content, i) => ({ externalId: `d${i}`, content })) });
    expect(written.errors).toBeUndefined();
    // A client's own vector is not embedded: a write, no tokens.
    const vector = Array.from({ length: t.app.deps.embedder.dimensions }, (_, i) => (i === 0 ? 1 : 0));
    expect((await t.as(slug)(UPSERT, { documents: [{ externalId: 'v', content: 'own vector', embedding: vector }] })).errors).toBeUndefined();
    const id = written.data!.upsertDocuments.documents[0].id;
    const searches = await t.as(slug)(
      `query($id: ID!) {
        a: search(query: "boats in a harbour") { hits { rank } }
        b: search(query: "wheat", mode: KEYWORD) { hits { rank } }
        c: search(vector: ${JSON.stringify(vector)}) { hits { rank } }
        document(id: $id) { similar { hits { rank } } }
      }`,
      { id },
    );
    expect(searches.errors).toBeUndefined();
    const deleted = await t.as(slug)('mutation { deleteDocuments(externalIds: ["d1"]) }');
    expect(deleted.errors).toBeUndefined();

    const expected = { searches: 4, writes: 5, embeddingTokens: tokens(...texts, 'boats in a harbour') };
    expect(await storedUsage(slug)).toEqual([]);
    // Not flushed yet: this server's own counts are in the answer.
    const before = (await t.as(slug)(USAGE)).data!.tenant.usage;
    expect(before).toMatchObject({ documents: 3, ...expected });

    await t.app.deps.usage!.flush();
    expect(await storedUsage(slug)).toEqual([expected]);
    const after = (await t.as(slug)(USAGE)).data!.tenant.usage;
    expect(after).toMatchObject({ documents: 3, ...expected });
    expect(after.days).toHaveLength(30);
    const today = new Date().toISOString().slice(0, 10);
    expect(after.days.at(-1)).toEqual({ day: today, ...expected });
    expect(after.days.slice(0, -1).every((day: { searches: number; writes: number }) => day.searches === 0 && day.writes === 0)).toBe(true);
    // A SHARED tenant: the size of its rows, no index of its own.
    expect(after.tableBytes).toBeGreaterThan(0);
    expect(after.indexBytes).toBeNull();

    // A second flush adds to the stored row, it does not replace it.
    await t.as(slug)('{ search(query: "snow") { hits { rank } } }');
    await t.app.deps.usage!.flush();
    expect(await storedUsage(slug)).toEqual([{ ...expected, searches: 5, embeddingTokens: expected.embeddingTokens + tokens('snow') }]);
  });

  it("reports a DEDICATED tenant's table and index bytes, to the admin too", async () => {
    const slug = await t.createTenant('usage-ded', { placement: 'DEDICATED' });
    await t.as(slug)(UPSERT, { documents: [{ content: 'one' }, { content: 'two' }] });
    const result = await t.admin('query($slug: String!) { tenantBySlug(slug: $slug) { usage { documents tableBytes indexBytes writes } } }', { slug });
    expect(result.errors).toBeUndefined();
    const usage = result.data!.tenantBySlug.usage;
    expect(usage.documents).toBe(2);
    expect(usage.writes).toBe(2);
    expect(usage.tableBytes).toBeGreaterThan(0);
    expect(usage.indexBytes).toBeGreaterThan(0);
  });

  it('npm run admin -- show prints the same totals', async () => {
    const slug = await t.createTenant('usage-cli');
    await t.as(slug)(UPSERT, { documents: [{ content: 'shown' }] });
    await t.as(slug)('{ search(query: "shown") { hits { rank } } }');
    const { stdout } = await promisify(execFile)('node', ['--import', 'tsx', 'src/bin/admin.ts', 'show', slug], {
      env: { ...process.env, NARWHAL_URL: server.url, ADMIN_TOKEN },
    });
    const shown = JSON.parse(stdout).tenantBySlug;
    expect(shown.usage).toMatchObject({ documents: 1, searches: 1, writes: 1, embeddingTokens: tokens('shown', 'shown') });
    expect(shown.usage.tableBytes).toBeGreaterThan(0);
    expect(shown.documentTtlSeconds).toBeNull();
  });

  it('the retention purge deletes usage rows older than 30 days and keeps the rest', async () => {
    const slug = await t.createTenant('usage-old');
    const { id } = await t.db.selectFrom('tenants').select('id').where('slug', '=', slug).executeTakeFirstOrThrow();
    await sql`insert into tenant_usage_daily (tenant_id, day, searches) values
      (${id}, current_date - 45, 7), (${id}, current_date - 3, 2)`.execute(t.db);
    await t.app.retentionPurge.runOnce();
    const { rows } = await sql<{ searches: string }>`select searches from tenant_usage_daily where tenant_id = ${id}`.execute(t.db);
    expect(rows.map((row) => Number(row.searches))).toEqual([2]);
    expect((await t.as(slug)(USAGE)).data!.tenant.usage.searches).toBe(2);
  });
});

describe('the usage recorder', () => {
  it('writes what it holds when stopped (graceful shutdown stops it after requests drain)', async () => {
    const slug = await t.createTenant('usage-stop');
    await t.as(slug)('{ search(query: "last words", mode: KEYWORD) { hits { rank } } }');
    expect(await storedUsage(slug)).toEqual([]);
    await t.app.deps.usage!.stop();
    expect(await storedUsage(slug)).toEqual([{ searches: 1, writes: 0, embeddingTokens: 0 }]);
  });
});

describe('metrics', () => {
  it('never carry a tenant label', async () => {
    const slug = await t.createTenant('usage-metrics');
    await t.as(slug)('{ search(query: "anything") { hits { rank } } }');
    const response = await t.app.yoga.fetch('http://narwhal.test/metrics');
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).toContain('narwhal_');
    expect(text).not.toContain(slug);
    expect(text).not.toMatch(/tenant="/);
  });
});
