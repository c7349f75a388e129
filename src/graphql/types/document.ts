import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import type { Document } from '../../documents/document.js';
import { deleteDocuments, listDocuments, upsertDocuments } from '../../documents/document.service.js';
import { checkIntegerRange } from '../../domain-errors.js';
import { CONNECTION_PAGE, builder } from '../builder.js';

export const DocumentRef = builder.objectRef<Document>('Document');

builder.node(DocumentRef, {
  description: 'A document of the caller\'s tenant: its text, metadata and when it was written.',
  id: { resolve: (doc) => doc.id, description: 'Global ID; pass it to `node`, `document` or `deleteDocuments`.' },
  // Node lookups go through the caller's tenant like every other read: another tenant's id is null.
  loadMany: (ids, ctx) => ids.map((id) => ctx.documents.load(id)),
  fields: (t) => ({
    externalId: t.exposeString('externalId', { description: "The client's own key; unique within the tenant." }),
    content: t.exposeString('content', { description: 'The text that was embedded.' }),
    metadata: t.expose('metadata', { type: 'JSON', description: 'Arbitrary JSON object attached by the client.' }),
    embeddingModel: t.exposeString('embeddingModel', {
      description: 'The model that embedded the content ("client-supplied" when the client sent the vector).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the document was first written.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it was last replaced.' }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it expires: from then on no read returns it, and a background purge deletes it. Null: never.',
    }),
  }),
});

const DocumentInput = builder.inputType('DocumentInput', {
  description: 'A document to insert, or to replace when its externalId already exists.',
  fields: (t) => ({
    externalId: t.string({ required: false, description: 'Your key for the document; generated when omitted.' }),
    content: t.string({ required: true, description: 'The text; embedded unless `embedding` is given.' }),
    metadata: t.field({ type: 'JSON', required: false, description: 'A JSON object; filterable in search.' }),
    embedding: t.floatList({
      required: false,
      description:
        "A precomputed vector of the deployment's dimension, used instead of embedding `content`; values within ±1e15, and under cosine not a zero vector.",
    }),
    embeddingModel: t.string({
      required: false,
      description:
        'The model that computed `embedding` (only with it), recorded as the document\'s embeddingModel; default "client-supplied". Restoring an export sends each document\'s model, so a vector of the deployment\'s model stays current and is not re-embedded.',
    }),
    expiresAt: t.field({
      type: 'DateTime',
      required: false,
      description:
        "When the document expires; must be in the future (a past moment is refused with BAD_USER_INPUT). Omitted: now + the tenant's documentTtlSeconds, or never when it has none. Replacing a document sets its expiry anew.",
    }),
  }),
});

const UpsertDocumentsPayload = builder
  .objectRef<{ documents: Document[] }>('UpsertDocumentsPayload')
  .implement({
    description: 'The result of upsertDocuments.',
    fields: (t) => ({
      documents: t.field({
        type: [DocumentRef],
        description: 'The written documents, in input order.',
        resolve: (payload) => payload.documents,
      }),
    }),
  });

builder.queryFields((t) => ({
  document: t.field({
    type: DocumentRef,
    nullable: true,
    description: "One of the caller's documents by id; null if there is none.",
    args: { id: t.arg.globalID({ for: DocumentRef, required: true }) },
    resolve: (_root, { id }, ctx) => ctx.documents.load(id.id),
  }),
  documents: t.connection({
    type: DocumentRef,
    description: "The caller's documents in insertion order, as a Relay cursor connection.",
    resolve: async (_root, args, ctx) => {
      for (const count of ['first', 'last'] as const) {
        const value = args[count];
        if (value !== null && value !== undefined) checkIntegerRange(count, value, CONNECTION_PAGE);
      }
      const tenant = await ctx.tenant();
      return resolveCursorConnection({ args, toCursor: (doc: Document) => doc.id }, (page: ResolveCursorConnectionArgs) =>
        listDocuments(ctx.deps, tenant, page),
      );
    },
  },
  { name: 'DocumentConnection', description: 'A page of documents.' },
  { name: 'DocumentEdge', description: 'A document and its cursor.' }),
}));

builder.mutationFields((t) => ({
  upsertDocuments: t.field({
    type: UpsertDocumentsPayload,
    description: 'Inserts or replaces (by externalId) documents, embedding their content. All or nothing.',
    args: { documents: t.arg({ type: [DocumentInput], required: true }) },
    resolve: async (_root, args, ctx) => ({
      documents: await upsertDocuments(ctx.deps, ctx.loaders, await ctx.tenant(), args.documents),
    }),
  }),
  deleteDocuments: t.int({
    description: "Deletes the caller's documents by id and/or externalId; returns how many were deleted.",
    args: {
      ids: t.arg.globalIDList({ for: DocumentRef, required: false }),
      externalIds: t.arg.stringList({ required: false }),
    },
    resolve: async (_root, args, ctx) =>
      deleteDocuments(ctx.deps, await ctx.tenant(), {
        ids: (args.ids ?? []).map((id) => id.id),
        externalIds: args.externalIds ?? [],
      }),
  }),
}));
