/**
 * The long tail of a multi-tenant deployment, scaled from one number (the total vectors): many
 * small SHARED tenants, tens of mid-size SHARED ones below the promotion threshold, and a few
 * big ones promoted to DEDICATED. At 1,000,000 vectors: 3,000 small (about 60-650 each), 40 mid
 * (1,000-9,000) and 3 dedicated (100,000, 110,000, 120,000).
 */

export type Tier = 'small' | 'mid' | 'dedicated';
export const TIERS: readonly Tier[] = ['small', 'mid', 'dedicated'];

export type PlannedTenant = { tier: Tier; index: number; docs: number };

const REFERENCE = 1_000_000;
const DEDICATED_SHARES = [0.1, 0.11, 0.12];
const MID_TENANTS = 40;
// Mid sizes run evenly from the first share to the second: 1,000 to 9,000 at the reference size,
// under the default PROMOTION_THRESHOLD (10,000), so they would stay SHARED in production too.
const MID_SHARES = [0.001, 0.009] as const;
const SMALL_TENANTS = 3000;
/** Fewest documents any tenant gets: a page of 10 must be fillable, so short pages mean something. */
const MIN_DOCS = 20;

/** Every tenant of a population of about `total` vectors (the small tier takes the remainder). */
export function planPopulation(total: number): PlannedTenant[] {
  const scale = total / REFERENCE;
  const dedicated = DEDICATED_SHARES.map((share, index) => ({ tier: 'dedicated' as const, index, docs: Math.round(share * total) }));
  const midCount = Math.max(5, Math.round(MID_TENANTS * scale));
  const mid = Array.from({ length: midCount }, (_, index) => {
    const share = MID_SHARES[0] + ((MID_SHARES[1] - MID_SHARES[0]) * index) / Math.max(1, midCount - 1);
    return { tier: 'mid' as const, index, docs: Math.max(MIN_DOCS, Math.round(share * total)) };
  });
  const used = [...dedicated, ...mid].reduce((sum, tenant) => sum + tenant.docs, 0);
  const smallCount = Math.max(20, Math.round(SMALL_TENANTS * scale));
  const small = longTail(smallCount, Math.max(smallCount * MIN_DOCS, total - used)).map((docs, index) => ({ tier: 'small' as const, index, docs }));
  for (const tenant of dedicated) if (tenant.docs < MIN_DOCS) throw new Error(`SCALE_VECTORS ${total} is too small for the dedicated tier`);
  return [...small, ...mid, ...dedicated];
}

/**
 * `count` sizes summing to about `total`, falling off as 1/(rank + count/10) (a Zipf-like tail:
 * the largest about eleven times the smallest), never under MIN_DOCS.
 */
function longTail(count: number, total: number): number[] {
  const offset = count / 10;
  const weights = Array.from({ length: count }, (_, rank) => 1 / (rank + offset));
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((weight) => Math.max(MIN_DOCS, Math.round((weight / sum) * total)));
}
