import { findIndexBuildProgress, findIndexSizeBytes } from '../../tenants/maintenance.service.js';
import { type HnswSettings, PLACEMENTS, TENANT_STATES, type Tenant } from '../../tenants/tenant.js';
import { documentsByModel } from '../../documents/reembed.service.js';
import { countDocuments, createTenant, deleteTenant, requireTenantById } from '../../tenants/tenant.service.js';
import { builder } from '../builder.js';

const PlacementEnum = builder.enumType('TenantPlacement', {
  description: 'Where a tenant\'s documents live.',
  values: {
    SHARED: { description: 'In the pooled shard with other small tenants; searched exactly (100% recall).' },
    DEDICATED: { description: 'In a partition of its own with its own HNSW index.' },
  } satisfies Record<(typeof PLACEMENTS)[number], unknown>,
});

export const TenantStateEnum = builder.enumType('TenantState', {
  description: 'Lifecycle state of a tenant.',
  values: {
    ACTIVE: { description: 'Searchable and writable.' },
    INACTIVE: { description: 'Documents kept but detached: requests get TENANT_INACTIVE until reactivated.' },
    DELETED: { description: 'Documents removed; the slug can be reused.' },
    OFFLOADED: {
      description:
        'Documents moved out of the database into a checksummed archive in OFFLOAD_DIR: requests get TENANT_OFFLOADED until activateTenant restores them.',
    },
  } satisfies Record<(typeof TENANT_STATES)[number], unknown>,
});

const HnswSettingsRef = builder.objectRef<HnswSettings>('HnswSettings').implement({
  description: "Build settings of a tenant's HNSW index.",
  fields: (t) => ({
    m: t.exposeInt('m', { description: 'Maximum connections per graph node (pgvector default 16).' }),
    efConstruction: t.exposeInt('efConstruction', {
      description: 'Candidate list size while building the index (pgvector default 64).',
    }),
  }),
});

const IndexBuildProgressRef = builder
  .objectRef<{ phase: string; blocksDone: number; blocksTotal: number; tuplesDone: number; tuplesTotal: number }>(
    'IndexBuildProgress',
  )
  .implement({
    description: 'A running index build, from pg_stat_progress_create_index.',
    fields: (t) => ({
      phase: t.exposeString('phase', { description: 'PostgreSQL\'s name for the current phase.' }),
      blocksDone: t.exposeFloat('blocksDone', { description: 'Blocks processed in this phase.' }),
      blocksTotal: t.exposeFloat('blocksTotal', { description: 'Blocks to process in this phase.' }),
      tuplesDone: t.exposeFloat('tuplesDone', { description: 'Rows processed in this phase.' }),
      tuplesTotal: t.exposeFloat('tuplesTotal', { description: 'Rows to process in this phase.' }),
    }),
  });

const ModelDocumentCountRef = builder.objectRef<{ model: string; documents: number }>('ModelDocumentCount').implement({
  description: 'Documents embedded by one model (client-supplied: vectors the client sent).',
  fields: (t) => ({
    model: t.exposeString('model', { description: 'Embedding model name.' }),
    documents: t.exposeInt('documents', { description: 'How many documents it embedded.' }),
  }),
});

export const TenantRef = builder.objectRef<Tenant>('Tenant').implement({
  description: 'A tenant: an isolated collection of documents.',
  fields: (t) => ({
    slug: t.exposeString('slug', { description: 'Unique, URL-safe identifier; names the tenant in x-tenant-id (AUTH_MODE=dev) or in a JWT claim.' }),
    name: t.exposeString('name', { description: 'Human-readable name.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the tenant was created.' }),
    placement: t.expose('placement', { type: PlacementEnum, description: 'SHARED pool or DEDICATED partition.' }),
    state: t.expose('state', { type: TenantStateEnum, description: 'ACTIVE, INACTIVE, DELETED or OFFLOADED.' }),
    hnsw: t.field({
      type: HnswSettingsRef,
      description: 'HNSW settings (used once the tenant is DEDICATED).',
      resolve: (tenant) => tenant.hnsw,
    }),
    efSearch: t.exposeInt('efSearch', { description: 'ef_search used by searches that do not set one.' }),
    documentTtlSeconds: t.exposeInt('documentTtlSeconds', {
      nullable: true,
      description: 'Seconds after writing at which a document written without expiresAt expires; null: such documents never expire.',
    }),
    documentCount: t.int({
      description: 'How many documents the tenant holds, not counting expired ones.',
      resolve: (tenant, _args, ctx) => countDocuments(ctx.deps, tenant),
    }),
    indexSizeBytes: t.float({
      nullable: true,
      description: 'Size of the tenant\'s HNSW index in bytes; null when SHARED (exact search, no index).',
      resolve: (tenant, _args, ctx) => findIndexSizeBytes(ctx.deps, tenant),
    }),
    embeddingModel: t.string({
      description: 'The model that embeds new documents and queries (the deployment\'s embedder).',
      resolve: (_tenant, _args, ctx) => ctx.deps.embedder.model,
    }),
    documentsByModel: t.field({
      type: [ModelDocumentCountRef],
      description: 'How many documents each model embedded; other than embeddingModel: waiting for reembedTenant.',
      resolve: (tenant, _args, ctx) => documentsByModel(ctx.deps, tenant),
    }),
    indexBuild: t.field({
      type: IndexBuildProgressRef,
      nullable: true,
      description: 'Progress of an index build running on the tenant\'s partition, or null.',
      resolve: (tenant, _args, ctx) => findIndexBuildProgress(ctx.deps, tenant),
    }),
  }),
});

export const HnswSettingsInput = builder.inputType('HnswSettingsInput', {
  description: 'HNSW build settings; omitted fields take the defaults (m 16, efConstruction 128).',
  fields: (t) => ({
    m: t.int({ required: false, description: 'Connections per node, 2-100.' }),
    efConstruction: t.int({ required: false, description: 'Build candidate list, 4-1000 and at least 2 * m.' }),
  }),
});

const CreateTenantInput = builder.inputType('CreateTenantInput', {
  description: 'A new tenant.',
  fields: (t) => ({
    slug: t.string({ required: true, description: "1-63 of a-z, 0-9, '-' and '_'." }),
    name: t.string({ required: false, description: 'Defaults to the slug.' }),
    placement: t.field({ type: PlacementEnum, required: false, description: 'Defaults to SHARED.' }),
    hnsw: t.field({ type: HnswSettingsInput, required: false, description: 'Index settings.' }),
    efSearch: t.int({ required: false, description: 'Default query ef_search, 1-1000 (default 100).' }),
    documentTtlSeconds: t.int({
      required: false,
      description: 'Expiry of documents written without expiresAt, in seconds after writing: 1-315360000 (ten years). Omitted: none.',
    }),
  }),
});

builder.queryField('tenant', (t) =>
  t.field({
    type: TenantRef,
    description: "The caller's tenant, from the request's credentials (API key, JWT, or x-tenant-id in dev mode).",
    // Read afresh: the request's tenant may come from a cache, and placement or state may have moved.
    resolve: async (_root, _args, ctx) => requireTenantById(ctx.deps, (await ctx.tenant()).id),
  }),
);

builder.mutationField('createTenant', (t) =>
  t.field({
    type: TenantRef,
    description: 'Admin: creates a tenant, SHARED unless asked for DEDICATED (own partition and HNSW index).',
    args: { input: t.arg({ type: CreateTenantInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      ctx.requireAdmin();
      return createTenant(ctx.deps, input);
    },
  }),
);

builder.mutationField('deleteTenant', (t) =>
  t.boolean({
    description: 'Admin: deletes a tenant\'s documents and marks it DELETED. False when no such tenant exists.',
    args: { slug: t.arg.string({ required: true }) },
    resolve: (_root, { slug }, ctx) => {
      ctx.requireAdmin();
      return deleteTenant(ctx.deps, slug);
    },
  }),
);
