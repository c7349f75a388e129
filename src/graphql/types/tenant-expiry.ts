import { requireTenantBySlug } from '../../tenants/tenant.service.js';
import { setDocumentTtl } from '../../tenants/tenant-expiry.service.js';
import { builder } from '../builder.js';
import { TenantRef } from './tenant.js';

builder.mutationField('setTenantDocumentTtl', (t) =>
  t.field({
    type: TenantRef,
    description:
      'Admin: sets the expiry, in seconds after writing (1-315360000), of documents the tenant writes from now on ' +
      'without expiresAt; null clears it. Documents already written keep their expiry.',
    args: {
      slug: t.arg.string({ required: true }),
      documentTtlSeconds: t.arg.int({ required: false }),
    },
    resolve: async (_root, { slug, documentTtlSeconds }, ctx) => {
      ctx.requireAdmin();
      return setDocumentTtl(ctx.deps, await requireTenantBySlug(ctx.deps, slug), documentTtlSeconds);
    },
  }),
);
