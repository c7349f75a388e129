import { appendFile, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATER, expiringDocuments, fillTenant, rowCount, searchAnswers, storedExpiries, storedVectors } from '../helpers/tenant-answers.js';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

let t: TestApp;
let offloadDir: string;
beforeAll(async () => {
  offloadDir = await mkdtemp(join(tmpdir(), 'narwhal-offload-'));
  t = await startTestApp({ env: { OFFLOAD_DIR: offloadDir, PROMOTION_THRESHOLD: '0' } });
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
  await rm(offloadDir, { recursive: true, force: true });
});

const FIELDS = 'slug state placement documentCount indexSizeBytes';
const offload = (slug: string) => t.admin(`mutation($s: String!) { offloadTenant(slug: $s) { ${FIELDS} } }`, { s: slug });
const activate = (slug: string) => t.admin(`mutation($s: String!) { activateTenant(slug: $s) { ${FIELDS} } }`, { s: slug });

async function tenantId(slug: string): Promise<number> {
  const { rows } = await sql<{ id: number }>`select id from tenants where slug = ${slug}`.execute(t.db);
  return rows[0]!.id;
}

async function filesOf(slug: string): Promise<string[]> {
  const id = await tenantId(slug);
  return (await readdir(offloadDir)).filter((name) => name.startsWith(`${id}.`));
}

async function ownTableExists(slug: string): Promise<boolean> {
  const { rows } = await sql<{ found: string | null }>`select to_regclass('documents_t' || ${await tenantId(slug)})::text as found`.execute(t.db);
  return rows[0]!.found !== null;
}

describe('offloadTenant and activateTenant', { timeout: 120_000 }, () => {
  it.each(['SHARED', 'DEDICATED'])('offloads a %s tenant to one file and restores it: same answers, same vectors bit for bit', async (placement) => {
    const slug = await t.createTenant('off', { placement, hnsw: { m: 8, efConstruction: 40 }, efSearch: 77 });
    const other = await t.createTenant('bystander');
    await fillTenant(t, slug, 260);
    await fillTenant(t, other, 30);
    const before = await searchAnswers(t, slug);
    const vectors = await storedVectors(t, slug);
    expect(Object.keys(vectors)).toHaveLength(260);

    const offloaded = await offload(slug);
    expect(offloaded.errors).toBeUndefined();
    expect(offloaded.data!.offloadTenant).toMatchObject({ state: 'OFFLOADED', placement, documentCount: 260, indexSizeBytes: null });
    expect(await rowCount(t, slug)).toBe(0);
    expect(await ownTableExists(slug)).toBe(false);
    expect(await filesOf(slug)).toEqual([expect.stringMatching(/^\d+\.[0-9a-f]{16}\.jsonl\.gz$/)]);
    // Its requests are refused with a code saying why; other tenants are untouched.
    for (const query of ['{ search(query: "alpha", first: 3) { hits { distance } } }', '{ tenant { state } }']) {
      const refused = await t.as(slug)(query);
      expect(errorCode(refused)).toBe('TENANT_OFFLOADED');
      expect(refused.errors![0]!.message).toMatch(/offloaded.*activateTenant/);
    }
    const write = await t.as(slug)('mutation { upsertDocuments(documents: [{ content: "late" }]) { documents { externalId } } }');
    expect(errorCode(write)).toBe('TENANT_OFFLOADED');
    expect(await rowCount(t, other)).toBe(30);
    // A second offload is a no-op.
    expect((await offload(slug)).data!.offloadTenant.state).toBe('OFFLOADED');
    expect(await filesOf(slug)).toHaveLength(1);

    const restored = await activate(slug);
    expect(restored.errors).toBeUndefined();
    expect(restored.data!.activateTenant).toMatchObject({ state: 'ACTIVE', placement, documentCount: 260 });
    if (placement === 'DEDICATED') expect(restored.data!.activateTenant.indexSizeBytes).toBeGreaterThan(0);
    expect(await filesOf(slug)).toEqual([]);
    expect(await storedVectors(t, slug)).toEqual(vectors);
    expect(await searchAnswers(t, slug)).toEqual(before);
    const settings = await t.admin('query($s: String!) { tenantBySlug(slug: $s) { hnsw { m efConstruction } efSearch } }', { s: slug });
    expect(settings.data!.tenantBySlug).toEqual({ hnsw: { m: 8, efConstruction: 40 }, efSearch: 77 });
  });

  it.each(['SHARED', 'DEDICATED'])('keeps each %s document\'s expiry through offload and restore, leaving out the documents already expired', async (placement) => {
    const slug = await t.createTenant('expiring', { placement });
    await expiringDocuments(t, slug);
    expect((await offload(slug)).data!.offloadTenant.state).toBe('OFFLOADED');
    expect((await activate(slug)).data!.activateTenant).toMatchObject({ state: 'ACTIVE', documentCount: 2 });
    expect(await storedExpiries(t, slug)).toEqual({ forever: null, later: LATER });
  });

  it('loses no acknowledged write made while the tenant is being offloaded, and lands none after', async () => {
    const slug = await t.createTenant('busy', { placement: 'DEDICATED' });
    await fillTenant(t, slug, 100);
    const acknowledged = new Set(Array.from({ length: 100 }, (_, i) => `doc-${i}`));
    const refusals: (string | undefined)[] = [];
    let offloaded = false;
    let afterOffload = 0;
    const writer = async (id: number) => {
      for (let n = 0; !offloaded || n < 3; n++) {
        const result = await t.as(slug)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { externalId } } }', {
          d: [{ externalId: `w${id}-${n}`, content: `written during offload ${n}` }],
        });
        if (result.errors) refusals.push(errorCode(result));
        else acknowledged.add(`w${id}-${n}`);
        if (offloaded) afterOffload++;
      }
    };
    const writers = [writer(1), writer(2)];
    const result = await offload(slug);
    offloaded = true;
    await Promise.all(writers);
    expect(result.data!.offloadTenant.state).toBe('OFFLOADED');
    expect(afterOffload).toBeGreaterThan(0);
    expect(new Set(refusals)).toEqual(new Set(['TENANT_OFFLOADED']));
    expect((await activate(slug)).data!.activateTenant.state).toBe('ACTIVE');
    expect(new Set(Object.keys(await storedVectors(t, slug)))).toEqual(acknowledged);
  });

  it('offloads an INACTIVE tenant (its detached rows) and restores it ACTIVE', async () => {
    const slug = await t.createTenant('cold', { placement: 'DEDICATED' });
    await fillTenant(t, slug, 40);
    const before = await searchAnswers(t, slug);
    expect((await t.admin('mutation($s: String!) { deactivateTenant(slug: $s) { state } }', { s: slug })).errors).toBeUndefined();
    expect((await offload(slug)).data!.offloadTenant).toMatchObject({ state: 'OFFLOADED', documentCount: 40 });
    expect(await ownTableExists(slug)).toBe(false);
    expect((await activate(slug)).data!.activateTenant).toMatchObject({ state: 'ACTIVE', documentCount: 40 });
    expect(await searchAnswers(t, slug)).toEqual(before);
  });

  it('refuses to restore from a missing or altered file, and keeps the tenant OFFLOADED until the file is back', async () => {
    const slug = await t.createTenant('guarded', { placement: 'DEDICATED' });
    await fillTenant(t, slug, 50);
    const before = await searchAnswers(t, slug);
    await offload(slug);
    const [file] = await filesOf(slug);
    const path = join(offloadDir, file!);

    await rename(path, `${path}.away`);
    const missing = await activate(slug);
    expect(errorCode(missing)).toBe('FAILED_PRECONDITION');
    expect(missing.errors![0]!.message).toMatch(/stays OFFLOADED: its archive .* is missing/);

    await rename(`${path}.away`, path);
    await appendFile(path, Buffer.from([0]));
    const altered = await activate(slug);
    expect(errorCode(altered)).toBe('FAILED_PRECONDITION');
    expect(altered.errors![0]!.message).toMatch(/does not match its recorded sha256/);
    const state = await t.admin('query($s: String!) { tenantBySlug(slug: $s) { state documentCount } }', { s: slug });
    expect(state.data!.tenantBySlug).toEqual({ state: 'OFFLOADED', documentCount: 50 });
    expect(await rowCount(t, slug)).toBe(0);
    expect(await ownTableExists(slug)).toBe(false);

    // The original bytes back: the restore goes through.
    const { truncate } = await import('node:fs/promises');
    await truncate(path, (await import('node:fs')).statSync(path).size - 1);
    expect((await activate(slug)).data!.activateTenant.state).toBe('ACTIVE');
    expect(await searchAnswers(t, slug)).toEqual(before);
  });

  it('deleting an OFFLOADED tenant deletes its file', async () => {
    const slug = await t.createTenant('gone');
    await fillTenant(t, slug, 5);
    await offload(slug);
    expect(await filesOf(slug)).toHaveLength(1);
    const id = await tenantId(slug);
    expect((await t.admin('mutation($s: String!) { deleteTenant(slug: $s) }', { s: slug })).data!.deleteTenant).toBe(true);
    expect((await readdir(offloadDir)).filter((name) => name.startsWith(`${id}.`))).toEqual([]);
  });

  it('refuses promote, demote and deactivate on an OFFLOADED tenant', async () => {
    const slug = await t.createTenant('frozen');
    await fillTenant(t, slug, 3);
    await offload(slug);
    for (const op of ['promoteTenant', 'demoteTenant', 'deactivateTenant']) {
      const result = await t.admin(`mutation($s: String!) { ${op}(slug: $s) { state } }`, { s: slug });
      expect(errorCode(result)).toBe('FAILED_PRECONDITION');
    }
  });

  it('is refused clearly where OFFLOAD_DIR is not set', async () => {
    const bare = await startTestApp();
    try {
      const slug = await bare.createTenant('nodir');
      const result = await bare.admin('mutation($s: String!) { offloadTenant(slug: $s) { state } }', { s: slug });
      expect(errorCode(result)).toBe('FAILED_PRECONDITION');
      expect(result.errors![0]!.message).toMatch(/OFFLOAD_DIR/);
    } finally {
      await bare.close();
    }
  });
});
