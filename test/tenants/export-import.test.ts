import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveDocument, ArchiveHeader } from '../../src/tenants/archive/archive-format.js';
import { openArchiveFile, writeArchiveFile } from '../../src/tenants/archive/archive-file.js';
import { downloadArchive } from '../../src/tenants/archive/archive-download.js';
import { encodeArchive } from '../../src/tenants/archive/archive-writer.js';
import { readArchive } from '../../src/tenants/archive/archive-reader.js';
import { exportTenantDocuments } from '../../src/tenants/archive/tenant-export.service.js';
import { jsonText } from '../../src/ingest/server-sink.js';
import { requireTenantBySlug } from '../../src/tenants/tenant.service.js';
import { embedText } from '../helpers/hashing-embedder.js';
import { LATER, expiringDocuments, storedExpiries } from '../helpers/tenant-answers.js';
import { serveOnLoopback } from '../helpers/http-server.js';
import { ADMIN_TOKEN, errorCode, type TestApp, startTestApp } from '../helpers/test-app.js';

const run = promisify(execFile);
const DIMENSIONS = 512;
let t: TestApp;
let server: Awaited<ReturnType<typeof serveOnLoopback>>;
let dir: string;

beforeAll(async () => {
  t = await startTestApp();
  server = await serveOnLoopback(t.app.yoga);
  dir = await mkdtemp(join(tmpdir(), 'narwhal-export-'));
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await server.close();
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

function admin(args: string[]) {
  return run('node', ['--import', 'tsx', 'src/bin/admin.ts', ...args], { env: { ...process.env, NARWHAL_URL: server.url, ADMIN_TOKEN } });
}

/** A child process's exit code and output, whether it failed or not. */
async function adminExit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return admin(args).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

// float32 values a decimal round trip could get wrong: -0, subnormals, long mantissas, wide exponents.
function awkwardVector(seed: number): Float32Array {
  const vector = new Float32Array(DIMENSIONS);
  let state = seed * 2654435761;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  for (let index = 0; index < DIMENSIONS; index += 1) vector[index] = Math.fround((random() * 2 - 1) * 10 ** Math.floor(random() * 50 - 42));
  vector[0] = -0;
  vector[1] = 1.401298464324817e-45;
  vector[2] = Math.fround(0.1);
  vector[3] = 1;
  return vector;
}

function bits(vector: Float32Array): number[] {
  return Array.from(new Uint32Array(Float32Array.from(vector).buffer));
}

async function readFileArchive(path: string): Promise<{ header: ArchiveHeader; documents: ArchiveDocument[] }> {
  let header: ArchiveHeader | undefined;
  const documents: ArchiveDocument[] = [];
  for await (const record of readArchive(openArchiveFile(path))) {
    if (record.type === 'header') header = record.header;
    if (record.type === 'document') documents.push(record.document);
  }
  return { header: header!, documents };
}

const UPSERT = 'mutation($documents: [DocumentInput!]!) { upsertDocuments(documents: $documents) { documents { id } } }';
const SEARCH = `query($vector: [Float!], $first: Int) {
  search(vector: $vector, first: $first) { hits { rank distance score document { externalId content metadata embeddingModel } } }
}`;

const VECTORS = [awkwardVector(1), awkwardVector(2), awkwardVector(3)];

async function seedTenant(placement: 'SHARED' | 'DEDICATED'): Promise<string> {
  const slug = await t.createTenant('exp', { name: `Export ${placement}`, placement, hnsw: { m: 8, efConstruction: 40 }, efSearch: 77 });
  const texts = ['cats sleep all day', 'dogs chase cats', 'stock markets fell', 'bond yields rose', 'a quiet lake at dawn', 'quantum computing'];
  const embedded = texts.map((content, index) => ({ externalId: `text-${index}`, content, metadata: { index, tags: ['t', String(index)], nested: { even: index % 2 === 0 } } }));
  const given = VECTORS.map((vector, index) => ({
    externalId: `vec-${index}`,
    content: `precomputed ${index} ✓`,
    metadata: { kind: 'vector', unicode: 'ünïcødé' },
    embedding: Array.from(vector),
  }));
  for (const documents of [embedded, given]) {
    // jsonText, not JSON.stringify (which prints -0 as 0): the -0 must reach the server.
    const response = await t.app.yoga.fetch('http://narwhal.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tenant-id': slug },
      body: jsonText({ query: UPSERT, variables: { documents } }),
    });
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
  }
  return slug;
}

async function searches(slug: string) {
  const queries = [...VECTORS.map((v) => Array.from(v)), embedText('cats at dawn', DIMENSIONS), embedText('markets and bonds', DIMENSIONS)];
  const answers = [];
  for (const vector of queries) {
    const result = await t.as(slug)(SEARCH, { vector, first: 20 });
    expect(result.errors).toBeUndefined();
    answers.push(result.data!.search.hits);
  }
  return answers;
}

describe.each(['SHARED', 'DEDICATED'] as const)('export and import of a %s tenant', (placement) => {
  let source: string;
  beforeAll(async () => {
    source = await seedTenant(placement);
  });

  it('round-trips through export and import: same settings, vectors bit for bit, same answers to every search', async () => {
    const file = join(dir, `${source}.jsonl.gz`);
    const exported = await admin(['export', source, file]);
    expect(JSON.parse(exported.stdout)).toMatchObject({ slug: source, file, documents: 9 });
    const original = await readFileArchive(file);
    expect(original.header).toMatchObject({
      tenant: { slug: source, name: `Export ${placement}`, placement, hnsw: { m: 8, efConstruction: 40 }, efSearch: 77 },
      dimensions: DIMENSIONS,
      distanceMetric: 'cosine',
      model: t.app.deps.embedder.model,
    });
    // embedding::text parsed back to float32 is the float32 that was written, -0 and subnormals included.
    const byId = new Map(original.documents.map((d) => [d.externalId, d]));
    VECTORS.forEach((vector, index) => expect(bits(byId.get(`vec-${index}`)!.vector)).toEqual(bits(vector)));
    expect(Object.is(byId.get('vec-0')!.vector[0], -0)).toBe(true);

    const copy = `${source}-copy`;
    const imported = await admin(['import', copy, file]);
    expect(imported.stderr).toContain('vectors are loaded as stored');

    const shown = await t.admin('query($slug: String!) { tenantBySlug(slug: $slug) { name placement hnsw { m efConstruction } efSearch documentCount } }', { slug: copy });
    expect(shown.data!.tenantBySlug).toEqual({ name: `Export ${placement}`, placement, hnsw: { m: 8, efConstruction: 40 }, efSearch: 77, documentCount: 9 });

    const again = join(dir, `${copy}.jsonl`);
    await admin(['export', copy, again]);
    const restored = await readFileArchive(again);
    expect(restored.documents.map((d) => d.externalId)).toEqual(original.documents.map((d) => d.externalId));
    restored.documents.forEach((document, index) => {
      const was = original.documents[index]!;
      expect({ ...document, vector: bits(document.vector), createdAt: undefined, updatedAt: undefined }).toEqual({
        ...was,
        vector: bits(was.vector),
        createdAt: undefined,
        updatedAt: undefined,
      });
    });
    expect(await searches(copy)).toEqual(await searches(source));
  });

  it('loads without embedding again when the models match, keeping each document\'s model', async () => {
    const file = join(dir, `${source}-models.jsonl`);
    await admin(['export', source, file]);
    const before = t.embedderCalls.flat().length;
    await admin(['import', `${source}-m`, file]);
    expect(t.embedderCalls.flat().length).toBe(before);
    const models = await t.admin('query($slug: String!) { tenantBySlug(slug: $slug) { documentsByModel { model documents } } }', { slug: `${source}-m` });
    expect(models.data!.tenantBySlug.documentsByModel).toEqual(
      expect.arrayContaining([
        { model: t.app.deps.embedder.model, documents: 6 },
        { model: 'client-supplied', documents: 3 },
      ]),
    );
  });
});

describe('expiry through export and import', () => {
  it('exports each document\'s expiresAt, leaves out the expired ones, and imports the expiry back', async () => {
    const source = await t.createTenant('expiring');
    await expiringDocuments(t, source);
    const file = join(dir, `${source}.jsonl`);
    await admin(['export', source, file]);
    const { documents } = await readFileArchive(file);
    const expiries = Object.fromEntries(documents.map((d) => [d.externalId, d.expiresAt == null ? null : new Date(d.expiresAt).toISOString()]));
    expect(expiries).toEqual({ forever: null, later: LATER });
    const copy = `${source}-copy`;
    expect((await adminExit(['import', copy, file])).code).toBe(0);
    expect(await storedExpiries(t, copy)).toEqual({ forever: null, later: LATER });
  });

  it('skips and counts a document whose expiry passed after the export, rejecting nothing (exit 0)', async () => {
    const header: ArchiveHeader = {
      narwhal: 'tenant-archive',
      version: 1,
      tenant: { slug: 'aged', name: 'Aged', placement: 'SHARED', hnsw: { m: 16, efConstruction: 128 }, efSearch: 100 },
      dimensions: DIMENSIONS,
      distanceMetric: 'cosine',
      model: t.app.deps.embedder.model,
      exportedAt: '2026-01-01T00:00:00.000Z',
    };
    const document = (externalId: string, expiresAt: string, vector: Float32Array): ArchiveDocument => ({
      externalId, content: externalId, metadata: {}, model: 'client-supplied', createdAt: header.exportedAt, updatedAt: header.exportedAt, expiresAt, vector,
    });
    async function* documents() {
      yield document('lapsed', '2026-01-02T00:00:00.000Z', VECTORS[0]!);
      yield document('lasting', LATER, VECTORS[1]!);
    }
    const aged = join(dir, 'aged.jsonl');
    await writeArchiveFile(aged, encodeArchive(header, documents()));
    const slug = `aged-${Date.now()}`;
    const result = await adminExit(['import', slug, aged]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('1 documents had expired since the export and were skipped');
    expect(await storedExpiries(t, slug)).toEqual({ lasting: LATER });
  });
});

describe('import refusals', () => {
  let source: string;
  let file: string;
  beforeAll(async () => {
    source = await seedTenant('SHARED');
    file = join(dir, `${source}.jsonl`);
    await admin(['export', source, file]);
  });

  const documentCount = async (slug: string) =>
    (await t.admin('query($slug: String!) { tenantBySlug(slug: $slug) { documentCount } }', { slug })).data!.tenantBySlug?.documentCount ?? null;

  it('refuses an existing slug unless --into-existing, which loads into it', async () => {
    const target = await t.createTenant('existing');
    const refused = await adminExit(['import', target, file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`CONFLICT: slug: a tenant with slug "${target}" already exists; pass --into-existing`);
    expect(await documentCount(target)).toBe(0);
    const loaded = await adminExit(['import', target, file, '--into-existing']);
    expect(loaded.code).toBe(0);
    expect(await documentCount(target)).toBe(9);
  });

  it('refuses a truncated file with its line number, writing nothing (not even the tenant)', async () => {
    const lines = (await readFile(file, 'utf8')).split('\n');
    const cut = join(dir, 'cut.jsonl');
    await writeFile(cut, `${lines.slice(0, 6).join('\n')}\n`); // header and 5 documents: no trailer
    const refused = await adminExit(['import', 'cut-copy', cut]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('BAD_USER_INPUT: line 7: the file is truncated: it ends after line 6 without the trailer');
    expect(await documentCount('cut-copy')).toBeNull();

    const bad = join(dir, 'bad.jsonl');
    const broken = lines.map((line, index) => (index === 8 ? line.replace('"content":"', '"content":"changed ') : line));
    await writeFile(bad, broken.join('\n'));
    const corrupt = await adminExit(['import', 'bad-copy', bad]);
    expect(corrupt.stderr).toMatch(/BAD_USER_INPUT: line 11: sha256: checksum mismatch/);
    expect(await documentCount('bad-copy')).toBeNull();

    // Into an existing tenant: its documents are untouched.
    const target = await t.createTenant('kept');
    const into = await adminExit(['import', target, cut, '--into-existing']);
    expect(into.code).toBe(1);
    expect(await documentCount(target)).toBe(0);
  });

  it('writes a document the server refuses to the rejects file, with its archive line, and loads the rest (exit 2)', async () => {
    const header: ArchiveHeader = {
      narwhal: 'tenant-archive',
      version: 1,
      tenant: { slug: 'made', name: 'Made', placement: 'SHARED', hnsw: { m: 16, efConstruction: 128 }, efSearch: 100 },
      dimensions: DIMENSIONS,
      distanceMetric: 'cosine',
      model: t.app.deps.embedder.model,
      exportedAt: new Date().toISOString(),
    };
    const document = (externalId: string, vector: Float32Array): ArchiveDocument => ({
      externalId, content: externalId, metadata: {}, model: 'client-supplied', createdAt: header.exportedAt, updatedAt: header.exportedAt, vector,
    });
    async function* documents() {
      yield document('good', VECTORS[0]!);
      yield document('zero', new Float32Array(DIMENSIONS)); // no direction: cosine refuses it
      yield document('also-good', VECTORS[1]!);
    }
    const made = join(dir, 'made.jsonl');
    await writeArchiveFile(made, encodeArchive(header, documents()));
    const slug = `made-${Date.now()}`;
    const result = await adminExit(['import', slug, made, '--batch-size', '1']);
    expect(result.code).toBe(2);
    const rejects = (await readFile(`${made}.rejects.jsonl`, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ line: 3, input: { externalId: 'zero' } });
    expect(await documentCount(slug)).toBe(2);
  });

  it('refuses a foreign file on line 1', async () => {
    const csv = join(dir, 'foreign.jsonl');
    await writeFile(csv, '{"externalId":"a","content":"plain ingest file"}\n');
    const refused = await adminExit(['import', 'foreign-copy', csv]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('BAD_USER_INPUT: line 1: not a Narwhal tenant archive');
    expect(await documentCount('foreign-copy')).toBeNull();
  });
});

describe('the export endpoint and its GraphQL surface', () => {
  let slug: string;
  beforeAll(async () => {
    slug = await seedTenant('SHARED');
  });

  it('is admin-only: no token 401, a tenant\'s credentials 401, a wrong token 403; no such tenant 404', async () => {
    const url = `${server.origin}/admin/tenants/${slug}/export`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { 'x-tenant-id': slug } })).status).toBe(401);
    const wrong = await fetch(url, { headers: { authorization: 'Bearer not-the-admin-token-000' } });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    const missing = await fetch(`${server.origin}/admin/tenants/no-such-tenant/export`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(missing.status).toBe(404);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-narwhal-documents')).toBe('9');
    const text = await ok.text();
    expect(JSON.parse(text.trimEnd().split('\n').at(-1)!)).toMatchObject({ end: true, documents: 9 });
  });

  it('export leaves no file when the stream is cut short (a server that stops mid-export)', async () => {
    const whole = await (await fetch(`${server.origin}/admin/tenants/${slug}/export`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    const cut = whole.slice(0, whole.lastIndexOf('\n', whole.length - 2) + 1); // without the trailer
    const stub = await serveOnLoopback((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.end(cut);
    });
    try {
      const path = join(dir, 'cut-export.jsonl.gz');
      await expect(downloadArchive(stub.url, ADMIN_TOKEN, slug, path)).rejects.toThrow(/^line 11: the file is truncated/);
      await expect(readFile(path)).rejects.toThrow(/ENOENT/);
      await expect(readFile(join(dir, 'cut-export.jsonl.partial.gz'))).rejects.toThrow(/ENOENT/);
    } finally {
      await stub.close();
    }
  });

  it('Query.tenantExport names the path and count, for the admin only', async () => {
    const query = 'query($slug: String!) { tenantExport(slug: $slug) { slug path documentCount model dimensions } }';
    expect((await t.admin(query, { slug })).data!.tenantExport).toEqual({
      slug,
      path: `/admin/tenants/${slug}/export`,
      documentCount: 9,
      model: t.app.deps.embedder.model,
      dimensions: DIMENSIONS,
    });
    expect(errorCode(await t.as(slug)(query, { slug }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await t.admin(query, { slug: 'no-such-tenant' }))).toBe('TENANT_NOT_FOUND');
  });

  it('reads the tenant in keyset pages, every document once, in id order', async () => {
    const tenant = await requireTenantBySlug(t.app.deps, slug);
    const ids: string[] = [];
    for await (const document of exportTenantDocuments(t.app.deps, tenant, 4)) ids.push(document.externalId);
    expect(ids).toHaveLength(9);
    expect(new Set(ids).size).toBe(9);
  });
});

describe('DocumentInput.embeddingModel', () => {
  it('is accepted only with an embedding', async () => {
    const slug = await t.createTenant('model');
    const refused = await t.as(slug)(UPSERT, { documents: [{ content: 'x', embeddingModel: 'm' }] });
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'documents[0].embeddingModel' } });
    const accepted = await t.as(slug)(UPSERT, { documents: [{ externalId: 'a', content: 'x', embedding: Array.from(VECTORS[0]!), embeddingModel: 'some-model' }] });
    expect(accepted.errors).toBeUndefined();
    const models = await t.admin('query($slug: String!) { tenantBySlug(slug: $slug) { documentsByModel { model documents } } }', { slug });
    expect(models.data!.tenantBySlug.documentsByModel).toEqual([{ model: 'some-model', documents: 1 }]);
  });
});
