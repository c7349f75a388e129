import type { ColumnType, Generated, Kysely, Selectable } from 'kysely';
import type { VectorParameter } from './vector.js';

/** Row types of the tables the application reads and writes; migrations/ is the source of truth. */
export type Tables = {
  deployment_settings: DeploymentSettingsTable;
  tenants: TenantsTable;
  documents: DocumentsTable;
  api_keys: ApiKeysTable;
  tenant_usage_daily: TenantUsageDailyTable;
};

export type DeploymentSettingsTable = {
  id: ColumnType<true, never, never>;
  embedding_dimensions: number;
  distance_metric: string;
  vector_storage: string;
};

export type TenantsTable = {
  id: Generated<number>;
  slug: string;
  name: string;
  hnsw_m: number;
  hnsw_ef_construction: number;
  ef_search: number;
  placement: ColumnType<string, 'SHARED' | 'DEDICATED', 'SHARED' | 'DEDICATED'>;
  state: ColumnType<string, never, 'ACTIVE' | 'INACTIVE' | 'DELETED' | 'OFFLOADED'>;
  deleted_at: ColumnType<Date | null, never, Date>;
  created_at: Generated<Date>;
  /** OFFLOADED tenants only (migration 0017): the archive in OFFLOAD_DIR holding their documents. */
  offload_file: ColumnType<string | null, never, string | null>;
  offload_sha256: ColumnType<string | null, never, string | null>;
  offload_documents: ColumnType<string | null, never, number | null>;
  offloaded_at: ColumnType<Date | null, never, Date | null>;
  // Recall held per tenant (migration 0020, src/search/recall.repository.ts).
  recall_target: ColumnType<number | null, never, number | null>;
  recall_estimate: ColumnType<number | null, never, number | null>;
  recall_samples: ColumnType<number, never, number>;
  recall_ef_search: ColumnType<number | null, never, number | null>;
  recall_updated_at: ColumnType<Date | null, never, Date>;
  recall_adjustment: ColumnType<Record<string, unknown> | null, never, string | null>;
  /** Expiry given to documents written without expiresAt; null: they never expire (migration 0018). */
  document_ttl_seconds: ColumnType<number | null, number | null | undefined, number | null>;
};

export type DocumentsTable = {
  // bigint: pg returns it as a string, which is exactly what an opaque ID wants.
  id: Generated<string>;
  tenant_id: number;
  /** Partition key: 0 for the shared pool, the tenant's id for a dedicated partition. */
  shard: number;
  external_id: string;
  content: string;
  metadata: ColumnType<Record<string, unknown>, string, string>;
  // Read as pgvector's text form '[1,2,3]'; written as a parameter in binary or text form.
  embedding: ColumnType<string, VectorParameter, VectorParameter>;
  embedding_model: string;
  content_hash: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** Null: never expires. Past: left out of every read, deleted by the purge (migration 0018). */
  expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
};

/** The columns a document is read with (never its embedding): documents and search select the same. */
export const DOCUMENT_COLUMNS = [
  'id',
  'tenant_id',
  'external_id',
  'content',
  'metadata',
  'embedding_model',
  'created_at',
  'updated_at',
  'expires_at',
] as const;

export type DocumentRow = Pick<Selectable<DocumentsTable>, (typeof DOCUMENT_COLUMNS)[number]>;

export type ApiKeysTable = {
  /** Public, random: embedded in the key, finds its hash. */
  id: string;
  tenant_id: number;
  name: string;
  /** sha256 of the whole key; the key itself is never stored. */
  key_hash: Buffer;
  created_at: Generated<Date>;
  last_used_at: ColumnType<Date | null, never, Date>;
  revoked_at: ColumnType<Date | null, never, Date>;
};

/** Counts per tenant and UTC day (migration 0019), added to by the usage recorder's flushes. */
export type TenantUsageDailyTable = {
  tenant_id: number;
  /** Read as 'YYYY-MM-DD' text (the queries cast it), written as such. */
  day: string;
  // bigint: pg returns strings.
  searches: ColumnType<string, number, never>;
  writes: ColumnType<string, number, never>;
  embedding_tokens: ColumnType<string, number, never>;
};

/** The Kysely executor over these tables: the pool's, or a transaction's. */
export type Db = Kysely<Tables>;
