import { performance } from 'node:perf_hooks';
import type { App } from '../../src/app.js';
import { upsertDocuments } from '../../src/documents/document.service.js';
import { createEmbeddingLoaders } from '../../src/embeddings/embedding-loaders.js';
import type { Placement, Tenant } from '../../src/tenants/tenant.js';
import { buildSearchIndex, createTenant, dropSearchIndex } from '../../src/tenants/tenant.service.js';
import { benchExternalId } from '../shared/load-documents.js';
import { type TenantCorpus, type VectorMatrix, corpusVectors, tenantCorpus, toMatrix } from '../shared/tenant-corpus.js';

/** A tenant the benchmark made and the synthetic corpus it was loaded from. */
export type LoadedTenant = { tenant: Tenant; corpus: TenantCorpus };

/**
 * What every phase of bench:tenants shares: the application, and the tenants made so far (all of
 * them deleted at the end of a run on a persistent database).
 */
export type TenantsRun = ReturnType<typeof createTenantsRun>;

export function createTenantsRun(app: App, log: (message: string) => void, mb: () => string) {
  const runId = Date.now().toString(36);
  const dimensions = app.deps.embedder.dimensions;
  const batchSize = Math.min(1000, app.deps.maxBatchSize);
  const loaders = createEmbeddingLoaders(app.deps.embedder);
  const createdSlugs: string[] = [];
  let nextSeed = 1;

  return {
    app,
    log,
    mb,
    dimensions,
    batchSize,
    createdSlugs,

    newCorpus(name: string, docs: number): TenantCorpus {
      return tenantCorpus({ slug: `bt-${runId}-${name}`, seed: nextSeed++, docs }, dimensions);
    },

    async makeTenant(corpus: TenantCorpus, placement: Placement): Promise<Tenant> {
      const tenant = await createTenant(app.deps, { slug: corpus.slug, name: `bench/tenants/tenants.ts ${corpus.slug}`, placement });
      createdSlugs.push(tenant.slug);
      return tenant;
    },

    /** Upserts the vectors in batches through the service; returns the seconds spent in upserts. */
    async loadVectors(tenant: Tenant, vectors: readonly number[][], onBatch?: (loaded: number) => void): Promise<number> {
      let seconds = 0;
      for (let start = 0; start < vectors.length; start += batchSize) {
        const inputs = vectors.slice(start, start + batchSize).map((embedding, offset) => ({
          externalId: benchExternalId(start + offset),
          content: `doc ${start + offset}`,
          embedding,
        }));
        const started = performance.now();
        const written = await upsertDocuments(app.deps, loaders, tenant, inputs);
        seconds += (performance.now() - started) / 1000;
        if (written.length !== inputs.length) throw new Error(`upsert of ${inputs.length} documents returned ${written.length}`);
        onBatch?.(start + inputs.length);
      }
      return seconds;
    },
  };
}

/** The small tenants in the pooled shard, loaded one after another; seconds spent in upserts. */
export async function loadSharedTier(run: TenantsRun, count: number, docs: number) {
  const shared: LoadedTenant[] = [];
  let loadSeconds = 0;
  const started = performance.now();
  const progressEvery = Math.max(1, Math.round(count / 20));
  for (let i = 0; i < count; i += 1) {
    const corpus = run.newCorpus(`s${i}`, docs);
    const tenant = await run.makeTenant(corpus, 'SHARED');
    loadSeconds += await run.loadVectors(tenant, corpusVectors(corpus));
    shared.push({ tenant, corpus });
    if ((i + 1) % progressEvery === 0 || i + 1 === count) {
      const elapsed = (performance.now() - started) / 1000;
      const loaded = (i + 1) * docs;
      run.log(
        `shared: ${i + 1}/${count} tenants, ${loaded} docs in ${elapsed.toFixed(1)} s ` +
          `(${Math.round(loaded / elapsed)} docs/s, ${((i + 1) / elapsed).toFixed(1)} tenants/s; ${run.mb()})`,
      );
    }
  }
  return { shared, loadSeconds };
}

/**
 * The big tenants with their own partition, each loaded without its HNSW index, which is then
 * built once over all rows (much faster than growing the graph row by row). Seconds spent in
 * upserts and in each build.
 */
export async function loadDedicatedTier(run: TenantsRun, count: number, docs: number) {
  const dedicated: (LoadedTenant & { matrix: VectorMatrix })[] = [];
  const buildSeconds: number[] = [];
  let loadSeconds = 0;
  for (let i = 0; i < count; i += 1) {
    const corpus = run.newCorpus(`d${i}`, docs);
    const tenant = await run.makeTenant(corpus, 'DEDICATED');
    await dropSearchIndex(run.app.deps, tenant);
    const vectors = corpusVectors(corpus);
    const started = performance.now();
    const progress = Math.max(run.batchSize, Math.round(docs / 4 / run.batchSize) * run.batchSize);
    loadSeconds += await run.loadVectors(tenant, vectors, (loaded) => {
      if (loaded % progress === 0 || loaded === vectors.length) {
        const elapsed = (performance.now() - started) / 1000;
        run.log(`dedicated ${i + 1}/${count}: ${loaded}/${vectors.length} docs (${Math.round(loaded / elapsed)} docs/s; ${run.mb()})`);
      }
    });
    const buildStarted = performance.now();
    await buildSearchIndex(run.app.deps, tenant);
    buildSeconds.push((performance.now() - buildStarted) / 1000);
    run.log(`dedicated ${i + 1}/${count}: HNSW index built in ${(buildSeconds.at(-1) as number).toFixed(1)} s (${run.mb()})`);
    dedicated.push({ tenant, corpus, matrix: toMatrix(vectors, run.dimensions) });
  }
  return { dedicated, buildSeconds, loadSeconds };
}
