/**
 * Seeded random sentences for text searches and text upserts in load benchmarks. Texts are
 * (almost always) distinct, so each one reaches the embedding model instead of its query cache or
 * the unchanged-content shortcut: the figures then measure the model, which is the point.
 */
const WORDS = (
  'plant sunlight water energy cell gravity light rover rock microbe vaccine immune sleep memory heart ' +
  'diet olive fish bread yeast rice coffee cabbage garlic database index graph query client server ' +
  'network storage cache replica backup invoice refund account password export report schedule meeting ' +
  'travel flight hotel museum river mountain forest ocean island winter summer market price budget ' +
  'contract policy privacy security engine motor battery solar wind climate carbon ocean harvest farm ' +
  'music guitar piano concert novel poem history empire battle treaty election court law school student'
).split(' ');

export type RandomText = { sentence(minWords: number, maxWords: number): string; int(below: number): number; next(): number };

/** mulberry32, as synthetic-embeddings.ts: the same seed gives the same texts on every run. */
export function createRandomText(seed: number): RandomText {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * below);
  return {
    next,
    int,
    sentence(minWords, maxWords) {
      const count = minWords + int(maxWords - minWords + 1);
      return Array.from({ length: count }, () => WORDS[int(WORDS.length)]).join(' ');
    },
  };
}
