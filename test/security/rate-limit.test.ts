import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain-errors.js';
import { createRateLimiter } from '../../src/tenants/rate-limiter.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';

function refusal(take: () => void): AppError {
  try {
    take();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected RATE_LIMITED');
}

describe('createRateLimiter (token bucket per key, on a test clock)', () => {
  it('allows a burst, refuses the next request with when to retry, and refills at the rate', () => {
    let now = 0;
    const limiter = createRateLimiter({ perSecond: 2, burst: 3, now: () => now });
    for (let i = 0; i < 3; i += 1) limiter.take('a');
    const refused = refusal(() => limiter.take('a'));
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.details).toEqual({ retryAfterSeconds: 1 });
    expect(refused.message).toContain('2 per second (bursts of 3)');
    // Another key has its own bucket.
    limiter.take('b');
    now = 500; // half a second: one token back at 2 per second
    limiter.take('a');
    expect(refusal(() => limiter.take('a')).code).toBe('RATE_LIMITED');
    now = 10_000; // refills to the burst, no further
    for (let i = 0; i < 3; i += 1) limiter.take('a');
    expect(refusal(() => limiter.take('a')).code).toBe('RATE_LIMITED');
  });

  it('says to wait as long as one token takes at a slow rate', () => {
    const limiter = createRateLimiter({ perSecond: 0.1, burst: 1, now: () => 0 });
    limiter.take(7);
    expect(refusal(() => limiter.take(7)).details).toEqual({ retryAfterSeconds: 10 });
  });

  it('is off at 0 per second', () => {
    const limiter = createRateLimiter({ perSecond: 0, burst: 1 });
    for (let i = 0; i < 1000; i += 1) limiter.take('a');
  });

  it('forgets idle (full) buckets once it holds too many, and still limits busy ones', () => {
    let now = 0;
    const limiter = createRateLimiter({ perSecond: 1, burst: 1, now: () => now, maxBuckets: 2 });
    limiter.take('busy');
    limiter.take('idle');
    now = 5000; // both full again; a third key sweeps them
    limiter.take('busy');
    limiter.take('new');
    expect(refusal(() => limiter.take('busy')).code).toBe('RATE_LIMITED');
  });
});

describe('per-tenant rate limit through GraphQL', () => {
  let t: TestApp;
  // One token per 1,000 s: nothing refills while the test runs, so no assertion depends on time.
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_SECOND: '0.001', RATE_LIMIT_BURST: '3' } });
  });
  afterAll(async () => {
    expect(t.unexpectedErrors).toEqual([]);
    await t.close();
  });

  const ask = (slug: string) =>
    t.app.yoga.fetch('http://narwhal.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', 'x-tenant-id': slug },
      body: JSON.stringify({ query: '{ tenant { slug } one: tenant { name } }' }),
    });

  it('answers a burst, then RATE_LIMITED with retryAfterSeconds, HTTP 429 and Retry-After; other tenants are unaffected', async () => {
    const busy = await t.createTenant('busy');
    const quiet = await t.createTenant('quiet');
    // Each request has two root fields needing the tenant, yet takes one token: three fit a burst of 3.
    for (let i = 0; i < 3; i += 1) {
      const response = await ask(busy);
      expect(response.status).toBe(200);
      expect((await response.json()).data.tenant.slug).toBe(busy);
    }
    const refused = await ask(busy);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1000');
    const body = await refused.json();
    expect(body.data ?? null).toBeNull(); // tenant is Tenant!
    expect(body.errors[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 1000 });
    expect(body.errors[0].message).toMatch(/Too many requests for this tenant: the limit is 0.001 per second \(bursts of 3\)/);

    const other = await ask(quiet);
    expect(other.status).toBe(200);
    // Admin operations name no tenant and are not counted against one.
    const admin = await t.admin('{ tenants { slug } }');
    expect(admin.errors).toBeUndefined();
  });
});
