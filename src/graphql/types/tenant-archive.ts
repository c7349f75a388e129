import { builder } from '../builder.js';
import { describeTenantExport, type TenantExport } from '../../tenants/archive/tenant-export.service.js';

const TenantExportRef = builder.objectRef<TenantExport>('TenantExport').implement({
  description:
    'Where and what a tenant export is. The archive itself is bytes, not GraphQL: GET `path` on this server with the admin token ' +
    '(`Authorization: Bearer <token>`) streams it as JSON Lines: a header (tenant settings, dimensions, metric, model), one line per ' +
    'document (externalId, content, metadata, model, timestamps, vector as base64 float32 little-endian, exact), and a trailer with ' +
    'the count and a sha256 of every byte before it. `npm run admin -- export <slug> <file>` saves it and ' +
    '`npm run admin -- import <slug> <file>` loads it (into a new tenant, or an existing one with --into-existing).',
  fields: (t) => ({
    slug: t.exposeString('slug', { description: 'The tenant exported.' }),
    path: t.exposeString('path', { description: 'The streamed export on this server, e.g. /admin/tenants/acme/export (GET, admin token).' }),
    documentCount: t.exposeInt('documentCount', { description: 'Documents the tenant holds now (the archive\'s trailer has the exact count written).' }),
    model: t.exposeString('model', { description: 'The deployment\'s embedding model, recorded in the header: an import into a deployment with the same model keeps the vectors as they are.' }),
    dimensions: t.exposeInt('dimensions', { description: 'Dimensions of every vector in the archive.' }),
  }),
});

builder.queryField('tenantExport', (t) =>
  t.field({
    type: TenantExportRef,
    description: 'Admin: how to export a tenant (the streamed endpoint\'s path and what it holds). TENANT_NOT_FOUND for no such tenant, TENANT_INACTIVE while inactive.',
    args: { slug: t.arg.string({ required: true, description: 'The tenant to export.' }) },
    resolve: (_root, { slug }, ctx) => {
      ctx.requireAdmin();
      return describeTenantExport(ctx.deps, slug);
    },
  }),
);
