import { AppError } from '../domain-errors.js';

export type RateLimitOptions = {
  /** Tokens added per second: the sustained request rate. 0 turns limiting off. */
  perSecond: number;
  /** Bucket size: how many requests may arrive at once after a quiet spell. */
  burst: number;
  /** Milliseconds clock; tests pass their own so no test waits on real time. */
  now?: () => number;
  /** Buckets kept before idle (full) ones are swept; bounds memory, not behaviour. */
  maxBuckets?: number;
};

export type RateLimiter = {
  /** Takes one request's token from the key's bucket, or throws RATE_LIMITED saying when to retry. */
  take(key: string | number): void;
};

type Bucket = { tokens: number; at: number };

/**
 * An in-memory token bucket per key (a tenant id). Per process: with several replicas each
 * allows the configured rate, so the fleet's limit is replicas x RATE_LIMIT_PER_SECOND.
 */
export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const { perSecond, burst } = options;
  const now = options.now ?? Date.now;
  const maxBuckets = options.maxBuckets ?? 100_000;
  const buckets = new Map<string | number, Bucket>();
  if (perSecond <= 0) return { take: () => {} };
  // Next map size that triggers a sweep: doubled after one, so many busy keys do not sweep per request.
  let sweepAt = maxBuckets;

  const refilled = (bucket: Bucket, at: number) => Math.min(burst, bucket.tokens + ((at - bucket.at) / 1000) * perSecond);
  // A full bucket is the same as no bucket: dropping those keeps the map to recently busy keys.
  const sweep = (at: number) => {
    for (const [key, bucket] of buckets) if (refilled(bucket, at) >= burst) buckets.delete(key);
    sweepAt = Math.max(maxBuckets, buckets.size * 2);
  };

  return {
    take(key) {
      const at = now();
      const bucket = buckets.get(key);
      const tokens = bucket ? refilled(bucket, at) : burst;
      if (tokens < 1) {
        buckets.set(key, { tokens, at });
        const retryAfterSeconds = Math.max(1, Math.ceil((1 - tokens) / perSecond));
        throw new AppError(
          'RATE_LIMITED',
          `Too many requests for this tenant: the limit is ${perSecond} per second (bursts of ${burst}); retry in ${retryAfterSeconds} s`,
          undefined,
          { details: { retryAfterSeconds } },
        );
      }
      if (!bucket && buckets.size >= sweepAt) sweep(at);
      buckets.set(key, { tokens: tokens - 1, at });
    },
  };
}
