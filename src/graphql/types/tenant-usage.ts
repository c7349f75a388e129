import { type TenantUsage, type UsageDay, tenantUsage } from '../../tenants/usage.service.js';
import { builder } from '../builder.js';
import { TenantRef } from './tenant.js';

const UsageDayRef = builder.objectRef<UsageDay>('TenantUsageDay').implement({
  description: "One UTC day of a tenant's use.",
  fields: (t) => ({
    day: t.exposeString('day', { description: 'The UTC day, YYYY-MM-DD.' }),
    searches: t.exposeInt('searches', { description: 'Searches answered (search, searchMany per tenant, similar).' }),
    writes: t.exposeInt('writes', { description: 'Documents written (inserted or replaced) or deleted by clients; the expiry purge is not counted.' }),
    embeddingTokens: t.exposeFloat('embeddingTokens', {
      description:
        'Estimated tokens of the texts embedded for the tenant (documents and query texts; UTF-8 bytes / 3, the ' +
        "estimate Narwhal batches by, not the provider's own count). Client-supplied vectors count 0.",
    }),
  }),
});

const TenantUsageRef = builder.objectRef<TenantUsage>('TenantUsage').implement({
  description:
    "A tenant's size now and its use over the last 30 UTC days. Counts are kept in memory and written to the " +
    'database every few seconds (USAGE_FLUSH_INTERVAL_MS) and on graceful shutdown: a crash loses the last few ' +
    "seconds of counts. This server's unwritten counts are included; another server's appear once it writes them.",
  fields: (t) => ({
    documents: t.exposeInt('documents', { description: 'Documents held now, not counting expired ones.' }),
    tableBytes: t.exposeFloat('tableBytes', {
      description: "Bytes of its documents: a DEDICATED tenant's table (with TOAST); a SHARED tenant's rows, summed.",
    }),
    indexBytes: t.exposeFloat('indexBytes', {
      nullable: true,
      description: "Bytes of a DEDICATED tenant's indexes (HNSW and the others); null when SHARED (the pool's indexes are shared).",
    }),
    searches: t.exposeInt('searches', { description: 'Searches over the 30 days.' }),
    writes: t.exposeInt('writes', { description: 'Documents written or deleted over the 30 days.' }),
    embeddingTokens: t.exposeFloat('embeddingTokens', { description: 'Estimated embedding tokens over the 30 days.' }),
    days: t.field({
      type: [UsageDayRef],
      description: 'The 30 days, oldest first, today (UTC) last; days without use are zeros.',
      resolve: (usage) => usage.days,
    }),
  }),
});

builder.objectField(TenantRef, 'usage', (t) =>
  t.field({
    type: TenantUsageRef,
    description: "The tenant's size and use per day; for the tenant's own credentials and for admins.",
    resolve: (tenant, _args, ctx) => tenantUsage(ctx.deps, tenant),
  }),
);
