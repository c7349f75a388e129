import { performance } from 'node:perf_hooks';
import { upsertDocuments } from '../../src/documents/document.service.js';
import { createEmbeddingLoaders } from '../../src/embeddings/embedding-loaders.js';
import type { ServiceDeps } from '../../src/service-deps.js';
import type { Tenant } from '../../src/tenants/tenant.js';
import { createTenant, dropSearchIndex, findTenantBySlug } from '../../src/tenants/tenant.service.js';
import { benchExternalId } from '../shared/load-documents.js';
import { type TenantCorpus, tenantCorpus } from '../shared/tenant-corpus.js';
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

/** A planned tenant's slug and corpus: the run's id and the plan decide both, so a run can be found again. */
function identify(runId: string, planned: PlannedTenant, position: number, dimensions: number) {
  const slug = `scale-${runId}-${planned.tier}-${planned.index}`;
  return { slug, corpus: tenantCorpus({ slug, seed: position + 1, docs: planned.docs }, dimensions) };
}

/**
 * The population an earlier run left (SCALE_KEEP=1) under its run id, for measuring searches
 * again without loading again; fails if a planned tenant is missing.
 */
export async function findPopulation(deps: ServiceDeps, plan: readonly PlannedTenant[], runId: string): Promise<ScaleTenant[]> {
  const found: ScaleTenant[] = [];
  for (const [position, planned] of plan.entries()) {
    const { slug, corpus } = identify(runId, planned, position, deps.embedder.dimensions);
    const tenant = await findTenantBySlug(deps, slug);
    if (!tenant) throw new Error(`no tenant ${slug}: SCALE_REUSE needs the run's id and its SCALE_VECTORS`);
    found.push({ tier: planned.tier, tenant, corpus });
  }
  return found;
}

/**
 * Creates every planned tenant SHARED (as a new tenant starts), then loads their vectors through
 * the document service in batches of 1,000, `concurrency` tenants at a time: while one connection
 * writes, this process generates the next batch. Returns the tenants and the wall-clock seconds
 * of each phase.
 * With `dedicatedAtCreation` the dedicated tier is instead created DEDICATED with its index
 * dropped (as bench:search loads), for an engine where promotion fails; the caller builds it.
 */
export async function loadPopulation(
  deps: ServiceDeps,
  plan: readonly PlannedTenant[],
  options: {
    runId: string;
    concurrency: number;
    dedicatedAtCreation: boolean;
    log: (message: string) => void;
    created: (slug: string) => void;
  },
): Promise<{ tenants: ScaleTenant[]; createSeconds: number; seconds: number; rows: number }> {
  const dimensions = deps.embedder.dimensions;
  const loaders = createEmbeddingLoaders(deps.embedder);
  const totalRows = plan.reduce((sum, tenant) => sum + tenant.docs, 0);
  const tenants: ScaleTenant[] = new Array(plan.length);
  const reportEvery = Math.max(BATCH, Math.round(totalRows / 40));
  let loaded = 0;
  let reported = 0;
  let next = 0;

  // Every tenant first, one at a time: on Citus, creating a tenant (createTenant's write to the
  // reference table `tenants`) while another connection upserted another tenant's documents ended
  // in a distributed deadlock (40P01, in deleteTenantTombstone).
  const createStarted = performance.now();
  for (const [position, planned] of plan.entries()) {
    const { slug, corpus } = identify(options.runId, planned, position, dimensions);
    const placement = options.dedicatedAtCreation && planned.tier === 'dedicated' ? 'DEDICATED' : 'SHARED';
    const tenant = await createTenant(deps, { slug, name: `bench/scale ${planned.tier} ${planned.index}`, placement });
    options.created(slug);
    if (placement === 'DEDICATED') await dropSearchIndex(deps, tenant);
    tenants[position] = { tier: planned.tier, tenant, corpus };
  }
  const createSeconds = (performance.now() - createStarted) / 1000;
  options.log(`create: ${plan.length} tenants in ${createSeconds.toFixed(1)} s`);

  const started = performance.now();
  const loadOne = async ({ tenant, corpus }: ScaleTenant) => {
    for (let start = 0, batch = 0; start < corpus.docs; start += BATCH, batch += 1) {
      if (failed) return;
      const size = Math.min(BATCH, corpus.docs - start);
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
  };

  // One worker's failure stops the others at their next batch, so the error is not buried.
  let failed = false;
  const worker = async () => {
    try {
      while (next < plan.length && !failed) await loadOne(tenants[next++] as ScaleTenant);
    } catch (error) {
      failed = true;
      throw error;
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: options.concurrency }, worker));
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return { tenants, createSeconds, seconds: (performance.now() - started) / 1000, rows: loaded };
}
