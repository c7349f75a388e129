import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDocuments } from '../../src/documents/document.service.js';
import type { EmbeddingProvider } from '../../src/embeddings/embedding-provider.js';
import { AppError } from '../../src/domain-errors.js';
import { openDocumentSource } from '../../src/ingest/document-source.js';
import { type IngestOptions, ingestDocuments } from '../../src/ingest/ingest.service.js';
import { openRejectsFile } from '../../src/ingest/rejects-file.js';
import { deleteTenant, findTenantBySlug } from '../../src/tenants/tenant.service.js';
import type { Tenant } from '../../src/tenants/tenant.js';
import { createHashingEmbedder, embedText } from '../helpers/hashing-embedder.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

// The hashing embedder behind a gate a test can close, to hold embedding calls while it looks.
const hashing = createHashingEmbedder();
let gate: Promise<void> | undefined;
const embedCalls: string[][] = [];
const gatedEmbedder: EmbeddingProvider = {
  ...hashing.provider,
  async embedDocuments(texts) {
    embedCalls.push([...texts]);
    if (gate) await gate;
    return hashing.provider.embedDocuments(texts);
  },
};

let t: TestApp;
let dir: string;
beforeAll(async () => {
  t = await startTestApp({ embedder: gatedEmbedder });
  dir = await mkdtemp(join(tmpdir(), 'narwhal-ingest-'));
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

async function tenant(placement: 'SHARED' | 'DEDICATED' = 'SHARED'): Promise<Tenant> {
  const slug = await t.createTenant('ingest', { placement });
  return (await findTenantBySlug(t.app.deps, slug)) as Tenant;
}

async function storedDocuments(of: Tenant) {
  const docs = await listDocuments(t.app.deps, of, { limit: 1000, inverted: false });
  return new Map(docs.map((doc) => [doc.externalId, doc]));
}

/** Runs a file through the ingest service the way the CLI does: source, rejects file, service. */
async function ingestFile(into: Tenant, path: string, rejectsPath: string, options: Partial<IngestOptions> = {}) {
  const source = await openDocumentSource(path, path.endsWith('.csv') ? 'csv' : 'jsonl');
  const rejects = await openRejectsFile(rejectsPath);
  try {
    return await ingestDocuments(t.app.deps, into, source.items, { batchSize: 3, onReject: (r) => rejects.write(r), ...options });
  } finally {
    await rejects.close();
  }
}

async function readRejects(path: string) {
  const text = await readFile(path, 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line) as { line: number; error: string; input: unknown });
}

const vector = embedText('precomputed vector text');
const LINES = [
  /* 1 */ { externalId: 'a', content: 'alpha document', metadata: { n: 1 } },
  /* 2 */ '{"externalId": "broken", "content": ',
  /* 3 */ { externalId: 'b', content: 'bravo document' },
  /* 4 */ { externalId: 'empty', content: '   ' },
  /* 5 */ { externalId: 'short', content: 'wrong length vector', embedding: [0.1, 0.2, 0.3] },
  /* 6 */ { externalId: 'c', content: 'charlie with its own vector', embedding: vector },
  // Passes the per-document checks but PostgreSQL refuses a NUL in jsonb: its whole batch is
  // rejected by the service, and sending each document alone must isolate it.
  /* 7 */ { externalId: 'nul', content: 'metadata with a NUL', metadata: { bad: 'x\u0000y' } },
  /* 8 */ { externalId: 'd', content: 'delta document' },
  /* 9 */ { externalId: 'a', content: 'alpha document, updated later in the file', metadata: { n: 2 } },
  /* 10 */ { externalId: 'e', content: 'echo document' },
];
const GOOD = ['a', 'b', 'c', 'd', 'e'];

describe('ingestDocuments', () => {
  it('loads the good lines, rejects the bad ones by line number, and is idempotent on a re-run', async () => {
    const into = await tenant();
    const path = join(dir, 'mixed.jsonl');
    const rejectsPath = join(dir, 'mixed.rejects.jsonl');
    await writeFile(path, LINES.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n'));

    const progress: number[] = [];
    const result = await ingestFile(into, path, rejectsPath, { onProgress: (c) => progress.push(c.loaded) });
    expect(result).toMatchObject({ read: 10, loaded: 6, rejected: 4, withoutExternalId: 0, interrupted: false });
    expect(progress.at(-1)).toBe(6);

    const stored = await storedDocuments(into);
    expect([...stored.keys()].sort()).toEqual(GOOD);
    // Line 9 updates line 1's document: the later line wins even though they were in different batches.
    expect(stored.get('a')).toMatchObject({ content: 'alpha document, updated later in the file', metadata: { n: 2 } });
    expect(stored.get('c')?.embeddingModel).toBe('client-supplied');
    expect(stored.get('b')?.embeddingModel).toBe('test-hashing');

    const rejects = await readRejects(rejectsPath);
    expect(rejects.map((r) => r.line)).toEqual([2, 4, 5, 7]);
    expect(rejects[0]).toMatchObject({ error: expect.stringMatching(/^invalid JSON/), input: LINES[1] });
    expect(rejects[1]).toMatchObject({ error: 'content: must not be empty', input: LINES[3] });
    expect(rejects[2]).toMatchObject({ error: expect.stringMatching(/^embedding: must have exactly 512 numbers/), input: LINES[4] });
    expect(rejects[3]).toMatchObject({ error: expect.stringContaining('cannot store'), input: { externalId: 'nul' } });

    const callsBefore = embedCalls.length;
    const again = await ingestFile(into, path, rejectsPath);
    expect(again).toMatchObject({ loaded: 6, rejected: 4 });
    const restored = await storedDocuments(into);
    expect([...restored.keys()].sort()).toEqual(GOOD);
    expect(restored.get('b')?.id).toBe(stored.get('b')?.id);
    // Unchanged documents are not embedded again: only "a" (whose content the file changes twice)
    // and the rejected document were.
    expect(new Set(embedCalls.slice(callsBefore).flat())).toEqual(
      new Set(['alpha document', 'alpha document, updated later in the file', 'metadata with a NUL']),
    );
    expect((await readRejects(rejectsPath)).map((r) => r.line)).toEqual([2, 4, 5, 7]);
  });

  it('loads a CSV file into a DEDICATED tenant and leaves no rejects file when nothing is rejected', async () => {
    const into = await tenant('DEDICATED');
    const path = join(dir, 'clean.csv');
    const rejectsPath = join(dir, 'clean.rejects.jsonl');
    const rows = Array.from({ length: 8 }, (_, i) => `doc-${i},"text number ${i}, with a comma",${i % 2 ? 'odd' : 'even'}`);
    await writeFile(path, ['id,text,parity', ...rows].join('\r\n'));
    const result = await ingestFile(into, path, rejectsPath);
    expect(result).toMatchObject({ read: 8, loaded: 8, rejected: 0 });
    const stored = await storedDocuments(into);
    expect(stored.size).toBe(8);
    expect(stored.get('doc-3')).toMatchObject({ content: 'text number 3, with a comma', metadata: { parity: 'odd' } });
    await expect(readFile(rejectsPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps two batches in flight: the next batch reaches the embedder before the previous one is written', async () => {
    const into = await tenant();
    const items = (async function* () {
      for (let i = 0; i < 9; i += 1) {
        yield { kind: 'document' as const, line: i + 1, input: { externalId: `p${i}`, content: `pipelined ${i}` }, raw: null };
      }
    })();
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    const before = embedCalls.length;
    const textsSent = () => embedCalls.slice(before).flat();
    const loadedWhenCalled: number[] = [];
    let loaded = 0;
    const run = ingestDocuments(t.app.deps, into, items, {
      batchSize: 3,
      maxInFlight: 2,
      onProgress: (counts) => (loaded = counts.loaded),
    });
    try {
      // The first batch is held at the embedder; the second is sent to it all the same
      // (the shared batcher may merge the two into one call), and the third waits for a slot.
      await expect.poll(() => textsSent().length).toBe(6);
      loadedWhenCalled.push(loaded);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(textsSent()).toHaveLength(6);
    } finally {
      gate = undefined;
      release();
    }
    expect(await run).toMatchObject({ loaded: 9, rejected: 0 });
    expect(loadedWhenCalled).toEqual([0]);
    expect(textsSent().sort()).toEqual(Array.from({ length: 9 }, (_, i) => `pipelined ${i}`));
  });

  it('stops with the error when the failure is not about one document (tenant deleted)', async () => {
    const into = await tenant();
    await deleteTenant(t.app.deps, into.slug);
    const items = (async function* () {
      yield { kind: 'document' as const, line: 1, input: { externalId: 'x', content: 'anything' }, raw: null };
    })();
    const error = await ingestDocuments(t.app.deps, into, items, { batchSize: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'TENANT_NOT_FOUND' });
  });
});
