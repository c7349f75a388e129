import type { DistanceMetric } from '../db/vector.js';

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
