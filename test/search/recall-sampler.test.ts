import { describe, expect, it } from 'vitest';
import { type RecallSample, createRecallSampler } from '../../src/search/recall-sampler.js';
import type { Tenant, TenantId } from '../../src/tenants/tenant.js';

const tenant = (placement: Tenant['placement']): Tenant => ({
  id: 1 as TenantId,
  slug: 's',
  name: 's',
  hnsw: { m: 16, efConstruction: 128 },
  efSearch: 40,
  placement,
  state: 'ACTIVE',
  createdAt: new Date(0),
  documentTtlSeconds: null,
});
const sample = (k: number): RecallSample => ({ tenant: tenant('DEDICATED'), vector: [1], k, efSearch: 40, effective: 40, approximate: [] });

function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('createRecallSampler', () => {
  it('keeps at most `capacity` samples waiting and drops the rest, without throwing', async () => {
    const g = gate();
    const checked: number[] = [];
    const sampler = createRecallSampler({
      rate: 1,
      capacity: 2,
      busy: () => false,
      onError: (error) => { throw error; },
      check: async (s) => { await g.opened; checked.push(s.k); },
    });
    for (let k = 1; k <= 5; k++) sampler.offer(tenant('DEDICATED'), () => sample(k));
    // The first is being checked, two wait, two were dropped.
    expect(sampler.stats()).toEqual({ taken: 3, dropped: 2, checked: 0 });
    g.open();
    await sampler.idle();
    expect(checked).toEqual([1, 2, 3]);
    expect(sampler.stats().checked).toBe(3);
  });

  it('samples only DEDICATED tenants, at the rate, and reports a failing sample without throwing', async () => {
    const errors: unknown[] = [];
    let draw = 0.5;
    const sampler = createRecallSampler({ rate: 0.3, busy: () => false, onError: (e) => errors.push(e), random: () => draw, check: async () => {} });
    sampler.offer(tenant('DEDICATED'), () => sample(1));
    sampler.offer(tenant('SHARED'), () => sample(1));
    expect(sampler.stats().taken).toBe(0);
    draw = 0.1;
    sampler.offer(tenant('SHARED'), () => sample(1));
    expect(sampler.stats().taken).toBe(0);
    sampler.offer(tenant('DEDICATED'), () => { throw new Error('boom'); });
    expect(errors).toHaveLength(1);
    sampler.offer(tenant('DEDICATED'), () => sample(1));
    await sampler.idle();
    expect(sampler.stats()).toEqual({ taken: 1, dropped: 0, checked: 1 });
  });

  it('waits while the database is busy, and close drops what is queued', async () => {
    let busy = true;
    const checked: number[] = [];
    const sampler = createRecallSampler({ rate: 1, busy: () => busy, onError: () => {}, check: async (s) => { checked.push(s.k); } });
    sampler.offer(tenant('DEDICATED'), () => sample(1));
    sampler.offer(tenant('DEDICATED'), () => sample(2));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(checked).toEqual([]);
    busy = false;
    await sampler.idle();
    expect(checked).toEqual([1, 2]);
    busy = true;
    sampler.offer(tenant('DEDICATED'), () => sample(3));
    sampler.offer(tenant('DEDICATED'), () => sample(4));
    await sampler.close();
    expect(checked).toEqual([1, 2]);
    sampler.offer(tenant('DEDICATED'), () => sample(5));
    expect(sampler.stats().taken).toBe(4);
  });
});
