import { type RecallAdjustment, type TenantRecall, findRecall, setRecallTarget } from '../../search/recall.service.js';
import { requireTenantBySlug } from '../../tenants/tenant.service.js';
import { builder } from '../builder.js';
import { TenantRef } from './tenant.js';

// Recall held per tenant (issue 21, item 5): what the server measured, and the target it holds.

const RecallAdjustmentRef = builder.objectRef<RecallAdjustment>('RecallAdjustment').implement({
  description: "A change the server made to a tenant's efSearch to hold its recallTarget.",
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime', description: 'When the change was made.' }),
    from: t.exposeInt('from', { description: 'efSearch before.' }),
    to: t.exposeInt('to', { description: 'efSearch after.' }),
    reason: t.exposeString('reason', { description: 'Why, in words: the estimate, the target and the samples it rested on.' }),
  }),
});

const TenantRecallRef = builder.objectRef<TenantRecall>('TenantRecall').implement({
  description:
    "How much of the true nearest neighbours a DEDICATED tenant's index searches find, measured by the server: a share " +
    '(RECALL_SAMPLE_RATE) of its unfiltered VECTOR searches without an efSearch argument is re-run exactly in the ' +
    'background and compared. SHARED tenants are searched exactly and never sampled.',
  fields: (t) => ({
    estimate: t.exposeFloat('estimate', {
      nullable: true,
      description:
        'Rolling recall@k (k = the page asked for, at most 100): the mean of the samples since efSearch last changed, ' +
        'then a moving average of about the last 50. Null before the first sample.',
    }),
    samples: t.exposeInt('samples', { description: 'Samples taken at efSearch, since it last changed.' }),
    efSearch: t.exposeInt('efSearch', { nullable: true, description: 'The tenant efSearch the estimate is about.' }),
    target: t.exposeFloat('target', {
      nullable: true,
      description: 'The recall@k the server holds by moving the tenant\'s efSearch (setTenantRecallTarget); null: not tuned.',
    }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true, description: 'When the last sample was recorded.' }),
    lastAdjustment: t.field({
      type: RecallAdjustmentRef,
      nullable: true,
      description: 'The last efSearch change made for the target, or null if none was.',
      resolve: (recall) => recall.lastAdjustment,
    }),
  }),
});

builder.objectField(TenantRef, 'recall', (t) =>
  t.field({
    type: TenantRecallRef,
    nullable: true,
    description: 'Measured recall of the tenant\'s index searches and its recall target; null while there is neither a sample nor a target.',
    resolve: (tenant, _args, ctx) => findRecall(ctx.deps, tenant),
  }),
);

builder.mutationField('setTenantRecallTarget', (t) =>
  t.field({
    type: TenantRef,
    description:
      'Admin: the recall@k (0.5-0.999) the server holds a DEDICATED tenant to, raising its efSearch (x1.5) when the ' +
      'estimate falls below the target and lowering it (x0.8, never below the page size) when it is 0.02 above, ' +
      'after at least 20 samples at each setting, within 1-1000. Null clears it; efSearch then stays where it is.',
    args: {
      slug: t.arg.string({ required: true }),
      target: t.arg.float({ required: false, description: 'recall@k from 0.5 to 0.999; null or omitted clears the target.' }),
    },
    resolve: async (_root, { slug, target }, ctx) => {
      ctx.requireAdmin();
      const tenant = await requireTenantBySlug(ctx.deps, slug);
      await setRecallTarget(ctx.deps, tenant, target ?? null);
      return tenant;
    },
  }),
);
