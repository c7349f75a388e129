import { describe, expect, it } from 'vitest';
import { RECALL_MIN_SAMPLES, decideAdjustment, recallAtK } from '../../src/search/recall-estimate.js';

const ranked = (ids: string[], distances?: number[]) => ids.map((id, i) => ({ id, distance: distances?.[i] ?? i }));

describe('recallAtK', () => {
  it('is the share of the exact k nearest the approximate page found', () => {
    expect(recallAtK(ranked(['a', 'b', 'c', 'd']), ranked(['a', 'b', 'c', 'd']), 4)).toBe(1);
    expect(recallAtK(ranked(['a', 'x', 'c', 'y'], [0, 5, 2, 6]), ranked(['a', 'b', 'c', 'd']), 4)).toBe(0.5);
    expect(recallAtK(ranked(['x', 'y'], [5, 6]), ranked(['a', 'b']), 2)).toBe(0);
  });

  it('counts another document at exactly the k-th distance (a tie) as found', () => {
    expect(recallAtK(ranked(['a', 'z'], [0.1, 0.5]), ranked(['a', 'b'], [0.1, 0.5]), 2)).toBe(1);
    expect(recallAtK(ranked(['a', 'z'], [0.1, 0.6]), ranked(['a', 'b'], [0.1, 0.5]), 2)).toBe(0.5);
  });
});

describe('decideAdjustment', () => {
  const state = { target: 0.95, estimate: 0.8, samples: RECALL_MIN_SAMPLES, efSearch: 40 };
  const sample = { k: 10, effective: 40 };

  it('waits for enough samples at the current setting, and does nothing without a target', () => {
    expect(decideAdjustment({ ...state, samples: RECALL_MIN_SAMPLES - 1 }, sample)).toBeUndefined();
    expect(decideAdjustment({ ...state, target: null }, sample)).toBeUndefined();
  });

  it('raises by half below the target, from the width the walk really had, capped at 1000', () => {
    expect(decideAdjustment(state, sample)).toMatchObject({ from: 40, to: 60 });
    expect(decideAdjustment({ ...state, efSearch: 1 }, { k: 10, effective: 10 })).toMatchObject({ from: 1, to: 15 });
    expect(decideAdjustment({ ...state, efSearch: 900 }, { k: 10, effective: 900 })).toMatchObject({ to: 1000 });
    expect(decideAdjustment({ ...state, efSearch: 1000 }, { k: 10, effective: 1000 })).toBeUndefined();
  });

  it('lowers by a fifth only when comfortably above the target, never below the page', () => {
    expect(decideAdjustment({ ...state, estimate: 0.96 }, sample)).toBeUndefined();
    expect(decideAdjustment({ ...state, estimate: 0.98 }, sample)).toMatchObject({ from: 40, to: 32 });
    expect(decideAdjustment({ ...state, estimate: 1, efSearch: 11 }, sample)).toMatchObject({ to: 10 });
    expect(decideAdjustment({ ...state, estimate: 1, efSearch: 10 }, sample)).toBeUndefined();
    // Near 1 the margin halves the distance left: 0.999 + 0.0005 is still reachable.
    expect(decideAdjustment({ ...state, target: 0.999, estimate: 1 }, sample)).toMatchObject({ to: 32 });
  });
});
