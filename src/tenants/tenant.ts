/** Internal integer id: names the tenant's partition, never shown to clients. */
export type TenantId = number & { readonly __brand: 'TenantId' };

export type HnswSettings = { m: number; efConstruction: number };

export type Tenant = {
  id: TenantId;
  slug: string;
  name: string;
  hnsw: HnswSettings;
  /** ef_search used by searches that do not ask for one. */
  efSearch: number;
  createdAt: Date;
};

export const SLUG_PATTERN = /^[a-z0-9_-]{1,63}$/;

export const HNSW_LIMITS = {
  m: { min: 2, max: 100, default: 16 },
  efConstruction: { min: 4, max: 1000, default: 64 },
  efSearch: { min: 1, max: 1000, default: 40 },
} as const;

/** Partition and index names come from the integer id only, never from user text. */
export function partitionName(id: TenantId): string {
  return `documents_t${id}`;
}

export function hnswIndexName(id: TenantId): string {
  return `documents_t${id}_embedding_hnsw`;
}
