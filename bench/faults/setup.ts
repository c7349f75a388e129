import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpenAiEmbeddingsServer } from '../../test/helpers/openai-embeddings-server.js';
import type { DocumentInput } from '../shared/narwhal-operations.js';
import { createMixture } from '../shared/synthetic-embeddings.js';

export const DIMENSIONS = 512;
export const ADMIN_TOKEN = 'bench-faults-admin-token-0123456789';

export type Log = (message: string) => void;

/**
 * The local OpenAI-protocol stand-in the fault scenarios embed with: deterministic vectors at
 * once, so a restart measures the database, not the loading of a model.
 */
export async function startStandInEmbedder() {
  const server = await startOpenAiEmbeddingsServer({ dimensions: DIMENSIONS });
  return {
    server,
    env: {
      EMBEDDING_PROVIDER: 'openai',
      EMBEDDING_BASE_URL: server.baseUrl,
      EMBEDDING_MODEL: 'bench-stand-in',
      EMBEDDING_DIMENSIONS: String(DIMENSIONS),
    } as Record<string, string>,
  };
}

/** The server settings every scenario shares: its own data, quiet logs, no rate limit. */
export function serverEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { DATA_DIR: dataDir, SEED_DEMO: 'false', LOG_LEVEL: 'warn', RATE_LIMIT_PER_SECOND: '0', ADMIN_TOKEN, ...extra };
}

export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Batches of distinct documents with vectors, each carrying its key in metadata so it can be
 * checked alone later (a filtered search compares one row, however big the tenant grows).
 */
export function createBatchSource(prefix: string, size: number, seed: number) {
  const mixture = createMixture({ dimensions: DIMENSIONS, clusters: 20, spread: 0.8, seed });
  let batches = 0;
  return (): DocumentInput[] => {
    const n = batches++;
    return mixture.sample(size, seed * 100_000 + n).map((embedding, i) => {
      const key = `${prefix}-${n}-${i}`;
      return { externalId: key, content: `content of ${key}`, embedding, metadata: { key } };
    });
  };
}
