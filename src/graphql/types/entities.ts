import { decodeGlobalID } from '@pothos/plugin-relay';
import { builder } from '../builder.js';
import { DocumentRef } from './document.js';
import { TenantRef } from './tenant.js';

// Federation entities: other subgraphs reference Documents by global ID and the caller's Tenant
// by slug. References resolve only within the caller's tenant; anything else resolves to null.

builder.asEntity(DocumentRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: async ({ id }, ctx) => {
    const internal = decodeDocumentId(id);
    return internal === null ? null : ctx.documents.load(internal);
  },
});

builder.asEntity(TenantRef, {
  key: builder.selection<{ slug: string }>('slug'),
  resolveReference: async ({ slug }, ctx) => {
    const tenant = await ctx.tenant();
    return tenant.slug === slug ? tenant : null;
  },
});

function decodeDocumentId(globalId: string): string | null {
  try {
    const { typename, id } = decodeGlobalID(globalId);
    return typename === 'Document' ? id : null;
  } catch {
    return null;
  }
}
