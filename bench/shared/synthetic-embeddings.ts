/**
 * Seeded synthetic embeddings for benchmarks. Uniform noise is a poor stand-in for real
 * embeddings: it has no neighbourhoods, so every point is about as far from a query as every
 * other and HNSW recall says little. A Gaussian mixture of unit-vector topics clusters the way
 * sentence embeddings do, and the same seed gives the same corpus on every run.
 */

export type Mixture = {
  readonly dimensions: number;
  /** `count` unit vectors drawn from the mixture; the seed alone decides them. */
  sample(count: number, seed: number): number[][];
};

type MixtureOptions = {
  dimensions: number;
  /** How many topic centres. */
  clusters: number;
  /** Norm of a point's offset from its centre, relative to the centre's (unit) norm. */
  spread: number;
  /** Decides the centres: corpus and queries share them and differ only in their sample seed. */
  seed: number;
};

/** mulberry32: tiny, fast and good enough to make reproducible benchmark data. */
function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviates by Box-Muller (one per call; the pair's twin is dropped for simplicity). */
function seededGaussian(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => {
    const u = 1 - uniform(); // (0, 1]: log(0) would be -Infinity
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

function normalize(vector: number[]): number[] {
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

// Seven decimals keep float32 precision for these magnitudes while keeping the JSON bodies small.
function rounded(vector: number[]): number[] {
  return vector.map((value) => Math.round(value * 1e7) / 1e7);
}

export function createMixture(options: MixtureOptions): Mixture {
  const { dimensions, clusters, spread } = options;
  const gaussian = seededGaussian(options.seed);
  const centres = Array.from({ length: clusters }, () => normalize(Array.from({ length: dimensions }, gaussian)));
  // Each coordinate's deviation such that the whole offset has norm `spread` on average.
  const sigma = spread / Math.sqrt(dimensions);
  return {
    dimensions,
    sample(count, seed) {
      const pick = seededUniform(seed);
      const noise = seededGaussian(seed ^ 0x9e3779b9);
      return Array.from({ length: count }, () => {
        const centre = centres[Math.floor(pick() * clusters)] as number[];
        return rounded(normalize(centre.map((value) => value + sigma * noise())));
      });
    },
  };
}
