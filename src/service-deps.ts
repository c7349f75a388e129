import type { Database } from './db/database.js';
import type { VectorLayout } from './db/vector-storage.js';
import type { EmbeddingProvider } from './embeddings/embedding-provider.js';
import type { DistanceMetric } from './db/vector.js';
import type { TenantCache } from './tenants/tenant-cache.js';
import type { BackgroundMaintenance } from './tenants/background-maintenance.js';
import type { OffloadPausePoint } from './tenants/offload-pause.js';
import type { RecallSampler } from './search/recall-sampler.js';
import type { UsageRecorder } from './tenants/usage-recorder.js';

/** What the services need, wired once in main.ts (or a test) and passed down explicitly. */
export type ServiceDeps = {
  /** The database and its engine's ways; repositories take its db (or a transaction's). */
  database: Database;
  embedder: EmbeddingProvider;
  metric: DistanceMetric;
  /** How embeddings are indexed at this dimension and VECTOR_STORAGE (db/vector-storage.ts). */
  vectors: VectorLayout;
  /** The most documents one upsert may carry. */
  maxBatchSize: number;
  /** The most documents one tenant may hold (MAX_DOCUMENTS_PER_TENANT); absent or 0: no limit. */
  maxDocumentsPerTenant?: number;
  /** Text search configuration of the content_tsv column (keyword search must use the same). */
  textSearchConfig: string;
  /** HYBRID's default weight of the embedder's evidence against keyword ranking (search/fusion.ts). */
  hybridVectorTrust: number;
  /** Recently resolved tenants by slug (tenants/tenant-cache.ts); absent: every request reads its tenant. */
  tenantCache?: TenantCache;
  /** Background work that follows writes: statistics, automatic promotion. */
  maintenance: BackgroundMaintenance;
  /** Where offloaded tenants' archives go (OFFLOAD_DIR); absent: offloadTenant is refused. */
  offloadDir?: string;
  /** Crash tests only: the offload step at which to stop and wait to be killed (OFFLOAD_TEST_PAUSE). */
  offloadTestPause?: OffloadPausePoint;
  /** Samples DEDICATED tenants' searches to re-run exactly (RECALL_SAMPLE_RATE); absent: none are. */
  recall?: RecallSampler;
  /** Per-tenant usage counts (Tenant.usage), flushed to the database every few seconds; absent: not counted. */
  usage?: UsageRecorder;
  /** Told how each search was answered (metrics); must not throw. */
  onSearch?: (search: { strategy: string; mode: string }) => void;
};
