import { describe, expect, it } from 'vitest';
import { createProgressReporter, formatBytes, formatDuration, formatSummary } from '../../src/ingest/progress-reporter.js';

function fakeOutput() {
  const writes: string[] = [];
  return { writes, out: { write: (text: string) => writes.push(text), columns: 200 } };
}

describe('progress reporter', () => {
  it('prints plain lines without escape codes when not a terminal, with an ETA from the bytes read', () => {
    const { writes, out } = fakeOutput();
    let clock = 0;
    const position = { bytes: 0, items: 0 };
    const progress = createProgressReporter({ out, tty: false, totalBytes: 1000, position: () => position, intervalMs: 0, now: () => clock });
    clock = 10_000;
    Object.assign(position, { bytes: 250, items: 100 });
    progress.update({ read: 100, loaded: 98, rejected: 2 });
    progress.note('[ingest] line 7: content: must not be empty');
    progress.finish(formatSummary({ read: 400, loaded: 396, rejected: 4, seconds: 40 }));
    // 100 records in a quarter of the bytes: ~400 in all, 300 to go at 9.8 docs/s.
    expect(writes).toEqual([
      '[ingest] 98 loaded, 2 rejected, 25% of 1000 B read, 9.8 docs/s, ETA 31s\n',
      '[ingest] line 7: content: must not be empty\n',
      '[ingest] done: 396 loaded, 4 rejected in 40.0 s (9.9 docs/s)\n',
    ]);
  });

  it('redraws one bar line on a terminal and clears it before other lines', () => {
    const { writes, out } = fakeOutput();
    let clock = 0;
    const progress = createProgressReporter({ out, tty: true, totalBytes: 100, position: () => ({ bytes: 50, items: 10 }), now: () => clock });
    clock = 1000;
    progress.update({ read: 10, loaded: 10, rejected: 0 });
    expect(writes.at(-1)).toBe('\r\x1b[2K[ingest] [############............] 50% 10/~20 docs, 0 rejected, 10.0 docs/s ETA 1s');
    progress.note('a warning');
    expect(writes.slice(-3)).toEqual(['\r\x1b[2K', 'a warning\n', expect.stringMatching(/^\r\x1b\[2K\[ingest\] \[/)]);
    progress.finish('done');
    expect(writes.slice(-2)).toEqual(['\r\x1b[2K', 'done\n']);
  });

  it('formats durations and sizes', () => {
    expect([formatDuration(5.4), formatDuration(125), formatDuration(7325)]).toEqual(['5s', '2m05s', '2h02m']);
    expect([formatBytes(512), formatBytes(1536), formatBytes(5 * 2 ** 20)]).toEqual(['512 B', '1.5 KB', '5.0 MB']);
  });
});
