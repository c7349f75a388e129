/** Internal integer id: names the tenant's partition, never shown to clients. */
export type TenantId = number & { readonly __brand: 'TenantId' };

export type HnswSettings = { m: number; efConstruction: number };

/** SHARED: rows in the pooled shard 0, searched exactly. DEDICATED: own partition + HNSW index. */
export const PLACEMENTS = ['SHARED', 'DEDICATED'] as const;
export type Placement = (typeof PLACEMENTS)[number];

/**
 * INACTIVE: rows kept in a detached table, not searchable. DELETED: rows gone, row kept.
 * OFFLOADED: rows moved out of the database into an archive file in OFFLOAD_DIR (offload.service.ts).
 */
export const TENANT_STATES = ['ACTIVE', 'INACTIVE', 'DELETED', 'OFFLOADED'] as const;
export type TenantState = (typeof TENANT_STATES)[number];

/** The shard (documents partition key) of the shared pool; a dedicated tenant's shard is its id. */
export const SHARED_SHARD = 0;

/** Where a tenant's rows are: every query on documents names both, so it plans one partition. */
export type TenantShard = { tenantId: TenantId; shard: number };

export type Tenant = {
  id: TenantId;
  slug: string;
  name: string;
  hnsw: HnswSettings;
  /** ef_search used by searches that do not ask for one. */
  efSearch: number;
  placement: Placement;
  state: TenantState;
  createdAt: Date;
  /** Expiry (seconds after writing) of documents written without expiresAt; null: none. */
  documentTtlSeconds: number | null;
};

export function shardOf(tenant: Pick<Tenant, 'id' | 'placement'>): TenantShard {
  return { tenantId: tenant.id, shard: tenant.placement === 'DEDICATED' ? tenant.id : SHARED_SHARD };
}

/** Bounds of a tenant's documentTtlSeconds: one second to ten years (migration 0018's check). */
export const DOCUMENT_TTL_LIMITS = { min: 1, max: 315_360_000 } as const;

export const SLUG_PATTERN = /^[a-z0-9_-]{1,63}$/;

export const HNSW_LIMITS = {
  m: { min: 2, max: 100, default: 16 },
  // Not pgvector's 64: on one tenant of 100,000 vectors (bench:hnsw, m 16, ef_search 100),
  // recall@10 was 0.970-0.976 with 64 (and 0.941 in one bench:search run), 0.997 with 128, at
  // the same search latency. The build takes 1.3-1.6x as long (109 s against 142-172 s on the
  // embedded engine), and so, about, does each insert into the index.
  efConstruction: { min: 4, max: 1000, default: 128 },
  // Not pgvector's 40: bench:search measured recall@10 0.92 at 100,000 vectors with 40 (m 16,
  // ef_construction 64), below the 0.95 every size must keep.
  efSearch: { min: 1, max: 1000, default: 100 },
} as const;

/**
 * Partition and index names come from the integer id only, never from user text. The same name
 * holds a dedicated tenant's partition and, detached, an inactive tenant's rows.
 */
export function partitionName(id: TenantId): string {
  return `documents_t${id}`;
}

export function hnswIndexName(id: TenantId): string {
  return `documents_t${id}_embedding_hnsw`;
}
