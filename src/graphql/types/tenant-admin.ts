import { type ReembedProgress, reembedTenant } from '../../documents/reembed.service.js';
import { prewarmIndex, rebuildIndex, vacuumAnalyze } from '../../tenants/maintenance.service.js';
import type { Tenant } from '../../tenants/tenant.js';
import { activateOrRestoreTenant } from '../../tenants/offload.service.js';
import {
  deactivateTenant,
  demoteTenant,
  findTenantWorker,
  placeTenant,
  promoteTenantById,
} from '../../tenants/placement.service.js';
import { listTenants, requireTenantBySlug, validateHnswSettings } from '../../tenants/tenant.service.js';
import { type NarwhalSchemaTypes, builder } from '../builder.js';
import { HnswSettingsInput, TenantRef, TenantStateEnum } from './tenant.js';

type Context = NarwhalSchemaTypes['Context'];

// Admin operations on any tenant, named by slug: placement moves, lifecycle and maintenance.

const PrewarmResultRef = builder
  .objectRef<{ available: boolean; blocksLoaded: number | null; message: string }>('PrewarmResult')
  .implement({
    description: 'What pg_prewarm did, or why it could not.',
    fields: (t) => ({
      available: t.exposeBoolean('available', { description: 'Whether pg_prewarm exists on this database.' }),
      blocksLoaded: t.exposeInt('blocksLoaded', { nullable: true, description: 'Index blocks read into memory.' }),
      message: t.exposeString('message', { description: 'What happened, in words.' }),
    }),
  });

const ReembedProgressRef = builder.objectRef<ReembedProgress>('ReembedProgress').implement({
  description: 'What one reembedTenant call did.',
  fields: (t) => ({
    model: t.exposeString('model', { description: 'The current model the documents were brought to.' }),
    reembedded: t.exposeInt('reembedded', { description: 'Documents re-embedded by this call.' }),
    remaining: t.exposeInt('remaining', { description: 'Documents still carrying another model.' }),
  }),
});

builder.objectField(TenantRef, 'worker', (t) =>
  t.string({
    nullable: true,
    description:
      'Admin, Citus: the worker (host:port) holding the tenant\'s documents; null on a single PostgreSQL. ' +
      'A DEDICATED tenant has a shard of its own there, which placeTenant moves.',
    resolve: (tenant, _args, ctx) => {
      ctx.requireAdmin();
      return findTenantWorker(ctx.deps, tenant);
    },
  }),
);

builder.queryFields((t) => ({
  tenants: t.field({
    type: [TenantRef],
    description: 'Admin: every tenant, optionally only those in one state.',
    args: { state: t.arg({ type: TenantStateEnum, required: false }) },
    resolve: (_root, args, ctx) => {
      ctx.requireAdmin();
      return listTenants(ctx.deps, args.state ?? undefined);
    },
  }),
  tenantBySlug: t.field({
    type: TenantRef,
    nullable: true,
    description: 'Admin: one tenant by slug, in any state but DELETED.',
    args: { slug: t.arg.string({ required: true }) },
    resolve: async (_root, { slug }, ctx) => {
      ctx.requireAdmin();
      return requireTenantBySlug(ctx.deps, slug).catch(() => null);
    },
  }),
}));

builder.mutationFields((t) => {
  const tenantMutation = (description: string, run: (ctx: Context, tenant: Tenant) => Promise<Tenant>) =>
    t.field({
      type: TenantRef,
      description,
      args: { slug: t.arg.string({ required: true }) },
      resolve: (_root, { slug }, ctx) => withTenant(run)(ctx, slug),
    });
  return {
    promoteTenant: tenantMutation('Admin: moves a SHARED tenant to a DEDICATED partition with its own HNSW index.', (ctx, tenant) =>
      promoteTenantById(ctx.deps, tenant.id),
    ),
    demoteTenant: tenantMutation('Admin: moves a DEDICATED tenant back into the shared pool.', (ctx, tenant) =>
      demoteTenant(ctx.deps, tenant),
    ),
    deactivateTenant: tenantMutation('Admin: detaches a tenant\'s documents; its requests get TENANT_INACTIVE.', (ctx, tenant) =>
      deactivateTenant(ctx.deps, tenant),
    ),
    activateTenant: tenantMutation(
      'Admin: reattaches an INACTIVE tenant\'s documents and prewarms its index where pg_prewarm exists; restores an ' +
        'OFFLOADED tenant from its archive (checksum verified first; FAILED_PRECONDITION, the tenant left OFFLOADED, when ' +
        'the file is missing or altered), rebuilding its index.',
      (ctx, tenant) => activateOrRestoreTenant(ctx.deps, tenant),
    ),
    placeTenant: t.field({
      type: TenantRef,
      description:
        'Admin, Citus only: moves a DEDICATED tenant\'s shard of its own (its documents and HNSW index) to the ' +
        'worker given as host:port, as listed by Tenant.worker. Writes to the tenant wait while its shard is copied.',
      args: { slug: t.arg.string({ required: true }), worker: t.arg.string({ required: true }) },
      resolve: (_root, { slug, worker }, ctx) => withTenant((c, tenant) => placeTenant(c.deps, tenant, worker))(ctx, slug),
    }),
    rebuildTenantIndex: t.field({
      type: TenantRef,
      description: 'Admin: rebuilds a DEDICATED tenant\'s HNSW index with new settings, concurrently, then swaps it in.',
      args: { slug: t.arg.string({ required: true }), hnsw: t.arg({ type: HnswSettingsInput, required: true }) },
      resolve: (_root, { slug, hnsw }, ctx) =>
        withTenant((c, tenant) => rebuildIndex(c.deps, tenant, validateHnswSettings(hnsw)))(ctx, slug),
    }),
    reembedTenant: t.field({
      type: ReembedProgressRef,
      description:
        'Admin: re-embeds up to limit of a tenant\'s documents written by another model, in batches, in place ' +
        '(search keeps finding them). Call again while remaining > 0: it resumes where it stopped.',
      args: {
        slug: t.arg.string({ required: true }),
        batchSize: t.arg.int({ required: false, description: 'Documents per embedding call, 1-1000 (default 100).' }),
        limit: t.arg.int({ required: false, description: 'Most documents this call re-embeds, 1-1000000 (default 10000).' }),
      },
      resolve: async (_root, { slug, batchSize, limit }, ctx) => {
        ctx.requireAdmin();
        const tenant = await requireTenantBySlug(ctx.deps, slug);
        return reembedTenant(ctx.deps, tenant, { batchSize: batchSize ?? undefined, limit: limit ?? undefined });
      },
    }),
    vacuumAnalyze: t.string({
      description: 'Admin: VACUUM ANALYZE of one tenant\'s table, or of all documents when slug is omitted. Returns the table.',
      args: { slug: t.arg.string({ required: false }) },
      resolve: async (_root, { slug }, ctx) => {
        ctx.requireAdmin();
        return vacuumAnalyze(ctx.deps, slug ? await requireTenantBySlug(ctx.deps, slug) : undefined);
      },
    }),
    prewarmTenant: t.field({
      type: PrewarmResultRef,
      description: 'Admin: loads a DEDICATED tenant\'s HNSW index into memory with pg_prewarm, where it exists.',
      args: { slug: t.arg.string({ required: true }) },
      resolve: async (_root, { slug }, ctx) => {
        ctx.requireAdmin();
        return prewarmIndex(ctx.deps, await requireTenantBySlug(ctx.deps, slug));
      },
    }),
  };
});

/** Admin-only: resolves the slug (any state but DELETED) and runs the operation on that tenant. */
function withTenant<T>(run: (ctx: Context, tenant: Tenant) => Promise<T>) {
  return async (ctx: Context, slug: string): Promise<T> => {
    ctx.requireAdmin();
    return run(ctx, await requireTenantBySlug(ctx.deps, slug));
  };
}
