import type { HnswSettings, Tenant } from '../../tenants/tenant.js';
import { countDocuments, createTenant, deleteTenant } from '../../tenants/tenant.service.js';
import { builder } from '../builder.js';

const HnswSettingsRef = builder.objectRef<HnswSettings>('HnswSettings').implement({
  description: "Build settings of a tenant's HNSW index.",
  fields: (t) => ({
    m: t.exposeInt('m', { description: 'Maximum connections per graph node (pgvector default 16).' }),
    efConstruction: t.exposeInt('efConstruction', {
      description: 'Candidate list size while building the index (pgvector default 64).',
    }),
  }),
});

export const TenantRef = builder.objectRef<Tenant>('Tenant').implement({
  description: 'A tenant: an isolated collection of documents with its own partition and vector index.',
  fields: (t) => ({
    slug: t.exposeString('slug', { description: 'Unique, URL-safe identifier; sent in the x-tenant-id header.' }),
    name: t.exposeString('name', { description: 'Human-readable name.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the tenant was created.' }),
    hnsw: t.field({ type: HnswSettingsRef, description: 'HNSW index settings.', resolve: (tenant) => tenant.hnsw }),
    efSearch: t.exposeInt('efSearch', { description: 'ef_search used by searches that do not set one.' }),
    documentCount: t.int({
      description: 'How many documents the tenant holds.',
      resolve: (tenant, _args, ctx) => countDocuments(ctx.deps, tenant),
    }),
  }),
});

const HnswSettingsInput = builder.inputType('HnswSettingsInput', {
  description: 'HNSW build settings; omitted fields take the defaults (m 16, efConstruction 64).',
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
    hnsw: t.field({ type: HnswSettingsInput, required: false, description: 'Index settings.' }),
    efSearch: t.int({ required: false, description: 'Default query ef_search, 1-1000 (default 40).' }),
  }),
});

builder.queryField('tenant', (t) =>
  t.field({
    type: TenantRef,
    description: "The caller's tenant (from the x-tenant-id header).",
    resolve: (_root, _args, ctx) => ctx.tenant(),
  }),
);

builder.mutationField('createTenant', (t) =>
  t.field({
    type: TenantRef,
    description: 'Admin: creates a tenant with its own partition and HNSW index.',
    args: { input: t.arg({ type: CreateTenantInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      ctx.requireAdmin();
      return createTenant(ctx.deps, input);
    },
  }),
);

builder.mutationField('deleteTenant', (t) =>
  t.boolean({
    description: 'Admin: deletes a tenant and all its documents. False when no such tenant exists.',
    args: { slug: t.arg.string({ required: true }) },
    resolve: (_root, { slug }, ctx) => {
      ctx.requireAdmin();
      return deleteTenant(ctx.deps, slug);
    },
  }),
);
