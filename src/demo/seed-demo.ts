import { upsertDocuments } from '../documents/document.service.js';
import { createEmbeddingLoaders } from '../embeddings/embedding-loaders.js';
import type { ServiceDeps } from '../service-deps.js';
import { createTenant, findTenantBySlug } from '../tenants/tenant.service.js';
import { DEMO_DOCUMENTS } from './demo-corpus.js';

const DEMO_TENANT_SLUG = 'demo';

/** Creates the demo tenant with its sample corpus, once; later starts leave it as it is. */
export async function seedDemoTenant(deps: ServiceDeps): Promise<boolean> {
  if (await findTenantBySlug(deps, DEMO_TENANT_SLUG)) return false;
  const tenant = await createTenant(deps, { slug: DEMO_TENANT_SLUG, name: 'Demo' });
  await upsertDocuments(deps, createEmbeddingLoaders(deps.embedder), tenant, DEMO_DOCUMENTS);
  return true;
}
