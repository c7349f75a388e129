import { performance } from 'node:perf_hooks';
import { upsertDocuments } from '../../src/documents/document.service.js';
import { createEmbeddingLoaders } from '../../src/embeddings/embedding-loaders.js';
import type { ServiceDeps } from '../../src/service-deps.js';
import type { Tenant } from '../../src/tenants/tenant.js';
import { createTenant } from '../../src/tenants/tenant.service.js';
import { benchExternalId } from '../lib/load-documents.js';
import { type TenantCorpus, tenantCorpus } from '../lib/tenant-corpus.js';
import type { PlannedTenant, Tier } from './population.js';

/** Rows per upsert: the API's default largest batch. */
const BATCH = 1000;

export type ScaleTenant = { tier: Tier; tenant: Tenant; corpus: TenantCorpus };

/**
 * The tenant's i-th batch of vectors, regenerated from its seed alone: a 120,000-vector tenant
 * is never held in memory at once (as number[][] it would take about half a gigabyte).
 */
function batchVectors(corpus: TenantCorpus, batch: number, size: number): number[][] {
  return corpus.mixture.sample(size, (corpus.seed * 7919 + batch * 104_729 + 17) >>> 0);
}

/**
 * Creates every planned tenant SHARED (as a new tenant starts) and loads its vectors through the
 * document service in batches of 1,000, `concurrency` tenants at a time: while one connection
 * writes, this process generates the next batch. Returns the tenants and the wall-clock seconds.
 */
export async function loadPopulation(
  deps: ServiceDeps,
  plan: readonly PlannedTenant[],
  options: { runId: string; concurrency: number; log: (message: string) => void; created: (slug: string) => void },
): Promise<{ tenants: ScaleTenant[]; seconds: number; rows: number }> {
  const dimensions = deps.embedder.dimensions;
  const loaders = createEmbeddingLoaders(deps.embedder);
  const totalRows = plan.reduce((sum, tenant) => sum + tenant.docs, 0);
  const tenants: ScaleTenant[] = new Array(plan.length);
  const reportEvery = Math.max(BATCH, Math.round(totalRows / 40));
  let loaded = 0;
  let reported = 0;
  let next = 0;
  const started = performance.now();

  const loadOne = async (planned: PlannedTenant, position: number) => {
    const slug = `scale-${options.runId}-${planned.tier}-${planned.index}`;
    const corpus = tenantCorpus({ slug, seed: position + 1, docs: planned.docs }, dimensions);
    const tenant = await createTenant(deps, { slug, name: `bench/scale ${planned.tier} ${planned.index}`, placement: 'SHARED' });
    options.created(slug);
    for (let start = 0, batch = 0; start < planned.docs; start += BATCH, batch += 1) {
      const size = Math.min(BATCH, planned.docs - start);
      const inputs = batchVectors(corpus, batch, size).map((embedding, offset) => ({
        externalId: benchExternalId(start + offset),
        content: `doc ${start + offset}`,
        embedding,
      }));
      const written = await upsertDocuments(deps, loaders, tenant, inputs);
      if (written.length !== inputs.length) throw new Error(`upsert of ${inputs.length} documents returned ${written.length}`);
      loaded += inputs.length;
      if (loaded - reported >= reportEvery || loaded === totalRows) {
        reported = loaded;
        const seconds = (performance.now() - started) / 1000;
        options.log(`load: ${loaded}/${totalRows} rows, ${next}/${plan.length} tenants started, ${Math.round(loaded / seconds)} rows/s`);
      }
    }
    tenants[position] = { tier: planned.tier, tenant, corpus };
  };

  const worker = async () => {
    while (next < plan.length) {
      const position = next++;
      await loadOne(plan[position] as PlannedTenant, position);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { tenants, seconds: (performance.now() - started) / 1000, rows: loaded };
}
