import { describe, expect, it } from 'vitest';
import type { Tenant, TenantId } from '../../src/tenants/tenant.js';
import { createTenantCache } from '../../src/tenants/tenant-cache.js';

const tenant = (slug: string, state: Tenant['state'] = 'ACTIVE'): Tenant => ({
  id: 1 as TenantId,
  slug,
  name: slug,
  hnsw: { m: 16, efConstruction: 64 },
  efSearch: 40,
  documentTtlSeconds: null,
  placement: 'SHARED',
  state,
  createdAt: new Date(0),
});

describe('tenant cache', () => {
  it('answers from memory within the TTL and loads again after it', async () => {
    let clock = 0;
    let loads = 0;
    const cache = createTenantCache({ ttlMs: 100, now: () => clock });
    const load = async () => (loads++, tenant('a'));
    await cache.bySlug('a', load);
    clock = 99;
    await cache.bySlug('a', load);
    expect(loads).toBe(1);
    clock = 100;
    await cache.bySlug('a', load);
    expect(loads).toBe(2);
  });

  it('never keeps a tenant that is not ACTIVE, nor an unknown slug', async () => {
    let loads = 0;
    const cache = createTenantCache({ ttlMs: 1000, now: () => 0 });
    for (let i = 0; i < 2; i++) await cache.bySlug('inactive', async () => (loads++, tenant('inactive', 'INACTIVE')));
    for (let i = 0; i < 2; i++) await cache.bySlug('missing', async () => (loads++, undefined));
    expect(loads).toBe(4);
  });

  it('forgets a slug this process changed, and holds at most maxEntries', async () => {
    let loads = 0;
    const cache = createTenantCache({ ttlMs: 1000, maxEntries: 2, now: () => 0 });
    const load = (slug: string) => async () => (loads++, tenant(slug));
    await cache.bySlug('a', load('a'));
    cache.forget('a');
    await cache.bySlug('a', load('a'));
    expect(loads).toBe(2);
    await cache.bySlug('b', load('b'));
    await cache.bySlug('c', load('c')); // evicts a, the oldest
    await cache.bySlug('a', load('a'));
    expect(loads).toBe(5);
  });

  it('is off with a TTL of 0', async () => {
    let loads = 0;
    const cache = createTenantCache({ ttlMs: 0 });
    for (let i = 0; i < 3; i++) await cache.bySlug('a', async () => (loads++, tenant('a')));
    expect(loads).toBe(3);
  });
});
