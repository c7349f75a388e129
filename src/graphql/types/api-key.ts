import type { ApiKey } from '../../auth/api-key.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../../auth/api-key.service.js';
import { builder } from '../builder.js';
import { TenantRef } from './tenant.js';

// Per-tenant API keys (AUTH_MODE=apikey): admins create and revoke them; a key is shown once.

const ApiKeyRef = builder.objectRef<ApiKey>('ApiKey').implement({
  description: "A tenant's API key, as stored: never the key itself, which is shown only when it is created.",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Public identifier; also the part of the key after "nwk_". Revoke by it.' }),
    name: t.exposeString('name', { description: 'What the key is for, as given when it was created.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the key was created.' }),
    lastUsedAt: t.expose('lastUsedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When a request last used the key (to within a minute); null if never.',
    }),
    revokedAt: t.expose('revokedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the key was revoked; null while it works.',
    }),
  }),
});

const CreatedApiKeyRef = builder.objectRef<{ apiKey: ApiKey; key: string }>('CreatedApiKey').implement({
  description:
    'A new API key. `key` is returned this once: it is stored only as a hash. Keys authenticate only on a server running with ' +
    'AUTH_MODE=apikey; in the default dev mode the x-tenant-id header names the tenant and keys are refused.',
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, description: 'The key as stored.', resolve: (created) => created.apiKey }),
    key: t.exposeString('key', {
      description: 'Send as "Authorization: Bearer <key>" to a server running with AUTH_MODE=apikey. Keep it secret; it cannot be shown again.',
    }),
  }),
});

builder.objectField(TenantRef, 'apiKeys', (t) =>
  t.field({
    type: [ApiKeyRef],
    description: "The tenant's API keys, revoked ones included, oldest first (never the keys themselves).",
    resolve: (tenant, _args, ctx) => listApiKeys(ctx.deps, tenant),
  }),
);

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreatedApiKeyRef,
    description:
      'Admin: a new API key for the tenant. The key is in the answer and nowhere else; it authenticates only when the server runs with AUTH_MODE=apikey.',
    args: {
      slug: t.arg.string({ required: true, description: 'The tenant the key authenticates as.' }),
      name: t.arg.string({ required: true, description: 'What the key is for, 1-100 characters.' }),
    },
    resolve: (_root, { slug, name }, ctx) => {
      ctx.requireAdmin();
      return createApiKey(ctx.deps, slug, name);
    },
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    description: 'Admin: revokes an API key by id; requests carrying it get UNAUTHENTICATED from now on.',
    args: { id: t.arg.id({ required: true, description: 'The key id (ApiKey.id).' }) },
    resolve: (_root, { id }, ctx) => {
      ctx.requireAdmin();
      return revokeApiKey(ctx.deps, String(id));
    },
  }),
}));
