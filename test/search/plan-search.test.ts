import { describe, expect, it } from 'vitest';
import { planExplain, planSearch, planSimilarSearch } from '../../src/search/search-plan.js';

// The one place a search's ef_search, depth and session settings are decided (pure: no database).
const tenant = { efSearch: 40 };
const args = { mode: 'VECTOR' as const, first: 10, filtered: false, grouped: false, efSearch: undefined };

describe('planSearch', () => {
  it("plans an unfiltered VECTOR search as one statement with the tenant's ef_search set as the session opens", () => {
    expect(planSearch(tenant, args)).toEqual({
      mode: 'VECTOR',
      first: 10,
      depth: 10,
      candidates: 10,
      vector: { efSearch: 40, iterativeScan: false, preset: true },
      settings: { 'hnsw.ef_search': '40', 'hnsw.iterative_scan': 'off' },
      oneStatement: true,
    });
  });

  it('widens a filtered walk to ef_search 100 with the iterative scan, and never as one statement', () => {
    const plan = planSearch(tenant, { ...args, filtered: true });
    expect(plan.vector).toEqual({ efSearch: 100, iterativeScan: true, preset: true });
    expect(plan.settings).toEqual({ 'hnsw.ef_search': '100', 'hnsw.iterative_scan': 'strict_order' });
    expect(plan.oneStatement).toBe(false);
  });

  it('keeps ef_search at least the rows read (a grouped search reads five per group), and at most 1000', () => {
    expect(planSearch(tenant, { ...args, grouped: true, first: 30 })).toMatchObject({ depth: 150, vector: { efSearch: 150 } });
    expect(planSearch(tenant, { ...args, grouped: true, first: 500 })).toMatchObject({ depth: 1000, vector: { efSearch: 1000 } });
    expect(planSearch(tenant, { ...args, efSearch: 7 })).toMatchObject({ vector: { efSearch: 10 } });
  });

  it('gives HYBRID deeper candidate lists and their ef_search, set only if the graph is walked', () => {
    const plan = planSearch(tenant, { ...args, mode: 'HYBRID' });
    expect(plan).toMatchObject({ depth: 10, candidates: 100, vector: { efSearch: 100, preset: false }, settings: {}, oneStatement: false });
    expect(planSearch(tenant, { ...args, mode: 'HYBRID', first: 800 })).toMatchObject({ candidates: 1000, vector: { efSearch: 1000 } });
  });

  it('walks no graph in KEYWORD mode', () => {
    expect(planSearch(tenant, { ...args, mode: 'KEYWORD' })).toMatchObject({ vector: null, settings: {}, oneStatement: false });
  });
});

describe('planSimilarSearch and planExplain', () => {
  it('reads one more candidate for similar (the document itself is left out), within 1000', () => {
    expect(planSimilarSearch(tenant, 10)).toEqual({ efSearch: 40, iterativeScan: false, preset: false });
    expect(planSimilarSearch(tenant, 1000)).toEqual({ efSearch: 1000, iterativeScan: false, preset: false });
  });

  it("explains the walk a search would make, its settings set inside the session", () => {
    expect(planExplain(tenant, { first: 10, filtered: true, efSearch: undefined })).toEqual({ efSearch: 100, iterativeScan: true, preset: false });
  });
});
