export type BackoffOptions = {
  /** The ceiling of the first retry's delay; each further retry doubles it. */
  baseDelayMs: number;
  /** No computed delay exceeds this, and a longer Retry-After is not waited out. */
  maxDelayMs: number;
  /** Uniform in [0, 1); injectable so tests are deterministic. */
  random: () => number;
};

/**
 * Exponential backoff with full jitter: a uniformly random delay up to base * 2^attempt. Jitter
 * spreads the retries of many callers that failed together (one overloaded upstream), so they do
 * not all come back in the same instant and knock it over again.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.floor(options.random() * ceiling);
}

/**
 * How long the server asked us to wait, in ms, or undefined when it did not say. Reads
 * `retry-after-ms` (sent by OpenAI and Azure OpenAI, finer than seconds) before the standard
 * `Retry-After`, which is either delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 */
export function retryAfterMs(headers: Headers, wallClockNow: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  // An HTTP date in the past means "now"; an unparseable value is ignored, not trusted.
  return Number.isNaN(date) ? undefined : Math.max(0, date - wallClockNow);
}
