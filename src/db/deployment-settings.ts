import type { Db } from './database.js';

export type DeploymentSettings = { embeddingDimensions: number; distanceMetric: string; vectorStorage: string };

async function findDeploymentSettings(db: Db): Promise<DeploymentSettings> {
  const row = await db
    .selectFrom('deployment_settings')
    .select(['embedding_dimensions', 'distance_metric', 'vector_storage'])
    .executeTakeFirstOrThrow();
  return { embeddingDimensions: row.embedding_dimensions, distanceMetric: row.distance_metric, vectorStorage: row.vector_storage };
}

/**
 * Refuses to run against a database written for other vectors: every stored embedding and every
 * HNSW index depends on the dimension and metric fixed when the database was created.
 */
export async function assertDeploymentMatches(
  db: Db,
  expected: DeploymentSettings & { embeddingModel: string },
): Promise<void> {
  const stored = await findDeploymentSettings(db);
  if (stored.embeddingDimensions !== expected.embeddingDimensions) {
    throw new Error(
      `The database stores ${stored.embeddingDimensions}-dimensional embeddings, but the configured embedder ` +
        `(${expected.embeddingModel}) produces ${expected.embeddingDimensions}. Configure an embedder with ` +
        `${stored.embeddingDimensions} dimensions, or start on a new database (DATA_DIR or DATABASE_URL) and re-ingest.`,
    );
  }
  if (stored.distanceMetric !== expected.distanceMetric) {
    throw new Error(
      `The database's indexes were built for DISTANCE_METRIC=${stored.distanceMetric}, but the server is configured ` +
        `with ${expected.distanceMetric}. Set DISTANCE_METRIC=${stored.distanceMetric}, or start on a new database.`,
    );
  }
  if (stored.vectorStorage !== expected.vectorStorage) {
    throw new Error(
      `The database's indexes were built for VECTOR_STORAGE=${stored.vectorStorage}, but the server is configured ` +
        `with ${expected.vectorStorage}. Set VECTOR_STORAGE=${stored.vectorStorage}, or start on a new database ` +
        `(VECTOR_STORAGE is fixed when the database is created).`,
    );
  }
}
