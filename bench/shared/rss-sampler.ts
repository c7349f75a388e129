/** Peak resident set size of this process (the embedded engine runs in it too), sampled. */
type RssSampler = { sample(): number; peakMb(): number; stop(): void };

export function startRssSampler(intervalMs = 250): RssSampler {
  let peak = 0;
  const sample = () => {
    const rss = process.memoryUsage().rss;
    if (rss > peak) peak = rss;
    return rss / 2 ** 20;
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  sample();
  return { sample, peakMb: () => (sample(), peak / 2 ** 20), stop: () => clearInterval(timer) };
}
