/**
 * Distance metrics a deployment can choose. Each maps to one pgvector operator and the HNSW
 * operator class that serves it: a search is only index-assisted when the two agree.
 */
export const DISTANCE_METRICS = ['cosine', 'l2', 'inner_product'] as const;
export type DistanceMetric = (typeof DISTANCE_METRICS)[number];

export const HNSW_OPERATOR_CLASS: Record<DistanceMetric, string> = {
  cosine: 'vector_cosine_ops',
  l2: 'vector_l2_ops',
  inner_product: 'vector_ip_ops',
};

/** A similarity where larger is better, derived from the metric's distance. */
export function scoreFromDistance(metric: DistanceMetric, distance: number): number {
  switch (metric) {
    case 'cosine':
      return 1 - distance;
    case 'l2':
      return 1 / (1 + distance);
    case 'inner_product':
      // pgvector's <#> is the negated inner product, so smaller is still closer.
      return -distance;
  }
}
