import type { TenantId } from '../tenants/tenant.js';

/** Internal bigint id as a decimal string; the GraphQL layer wraps it in a global ID. */
export type DocumentId = string & { readonly __brand: 'DocumentId' };

export type Document = {
  id: DocumentId;
  tenantId: TenantId;
  externalId: string;
  content: string;
  metadata: Record<string, unknown>;
  embeddingModel: string;
  createdAt: Date;
  updatedAt: Date;
  /** When it stops being returned by any read; null: never. */
  expiresAt: Date | null;
};

export type DocumentInput = {
  externalId?: string | null;
  content: string;
  metadata?: unknown;
  embedding?: readonly number[] | null;
  /** The model that computed `embedding` (an archive's import); default CLIENT_SUPPLIED_MODEL. */
  embeddingModel?: string | null;
  /** Must be in the future; absent: now + the tenant's documentTtlSeconds, or never. */
  expiresAt?: Date | null;
};

/** Recorded as the model of documents whose vectors the client computed itself. */
export const CLIENT_SUPPLIED_MODEL = 'client-supplied';

export const DOCUMENT_LIMITS = { contentLength: 100_000, externalIdLength: 512 } as const;

const DOCUMENT_ID_PATTERN = /^[1-9][0-9]{0,18}$/;

export function isDocumentId(value: string): value is DocumentId {
  return DOCUMENT_ID_PATTERN.test(value);
}
