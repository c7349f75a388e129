import { cloneTenant } from '../../tenants/clone.service.js';
import { offloadTenant } from '../../tenants/offload.service.js';
import { requireTenantBySlug } from '../../tenants/tenant.service.js';
import { builder } from '../builder.js';
import { TenantRef } from './tenant.js';

// Admin: a tenant out of the database and back (offload, restore through activateTenant), and copies.

builder.mutationFields((t) => ({
  offloadTenant: t.field({
    type: TenantRef,
    description:
      'Admin: moves an ACTIVE or INACTIVE tenant\'s documents out of the database into one checksummed archive file in ' +
      'OFFLOAD_DIR, then removes its rows and partition; the tenant becomes OFFLOADED and its requests get TENANT_OFFLOADED ' +
      'until activateTenant restores it (index rebuilt). Atomic: a crash at any point leaves the tenant whole in the ' +
      'database or whole in the file. FAILED_PRECONDITION when OFFLOAD_DIR is not set. A no-op on an OFFLOADED tenant.',
    args: { slug: t.arg.string({ required: true }) },
    resolve: async (_root, { slug }, ctx) => {
      ctx.requireAdmin();
      return offloadTenant(ctx.deps, await requireTenantBySlug(ctx.deps, slug));
    },
  }),
  cloneTenant: t.field({
    type: TenantRef,
    description:
      'Admin: copies an ACTIVE tenant under a new slug (for staging and experiments): its documents with the same vectors, ' +
      'metadata and timestamps, its HNSW settings, efSearch and placement, and for a DEDICATED tenant an index of its own. ' +
      'The clone answers every search as the source did. CONFLICT when the `to` slug exists. Documents get new ids.',
    args: {
      from: t.arg.string({ required: true, description: 'Slug of the tenant to copy.' }),
      to: t.arg.string({ required: true, description: 'Slug of the new tenant: 1-63 of a-z, 0-9, \'-\' and \'_\'.' }),
    },
    resolve: (_root, { from, to }, ctx) => {
      ctx.requireAdmin();
      return cloneTenant(ctx.deps, { from, to });
    },
  }),
}));
