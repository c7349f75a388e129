import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createHashingEmbedder } from '../helpers/hashing-embedder.js';
import { startTestApp } from '../helpers/test-app.js';

// A persisted data directory (embedded engine), or the external test database.
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'narwhal-startup-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const env = () => ({ DATA_DIR: dataDir });

describe('startup against an existing database', () => {
  it('keeps acknowledged writes across a restart', async () => {
    const first = await startTestApp({ env: env() });
    const slug = await first.createTenant('durable');
    const written = await first.as(slug)('mutation { upsertDocuments(documents: [{ externalId: "kept", content: "still here" }]) { documents { id } } }');
    expect(written.errors).toBeUndefined();
    await first.close();

    const second = await startTestApp({ env: env() });
    const result = await second.as(slug)('{ search(query: "still here", first: 1) { hits { document { externalId content } } } }');
    expect(result.data!.search.hits[0].document).toEqual({ externalId: 'kept', content: 'still here' });
    await second.close();
  });

  it('refuses an embedder whose dimension differs, naming both numbers and what to do', async () => {
    const smaller = createHashingEmbedder(384).provider;
    await expect(startTestApp({ env: env(), embedder: smaller })).rejects.toThrow(
      /stores 512-dimensional embeddings.*produces 384.*new database/s,
    );
  });

  it('refuses a different distance metric than the indexes were built for', async () => {
    await expect(startTestApp({ env: { ...env(), DISTANCE_METRIC: 'l2' } })).rejects.toThrow(/DISTANCE_METRIC=cosine/);
  });

  it('refuses another VECTOR_STORAGE than the database was created with', async () => {
    await expect(startTestApp({ env: { ...env(), VECTOR_STORAGE: 'float16' } })).rejects.toThrow(
      /built for VECTOR_STORAGE=float32.*configured with float16.*fixed when the database is created/s,
    );
  });

  it('refuses a VECTOR_STORAGE it does not know, naming the setting', () => {
    expect(() => loadConfig({ VECTOR_STORAGE: 'float8' })).toThrow(/VECTOR_STORAGE/);
  });
});
