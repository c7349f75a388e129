import type { IngestCounts } from './ingest.service.js';

export type ProgressOutput = { write(text: string): unknown; columns?: number };

export type ProgressReporter = {
  update(counts: IngestCounts): void;
  /** A line of its own (a rejected record, a warning), printed above the progress bar. */
  note(message: string): void;
  /** Stops the timer and prints the final summary line. */
  finish(summary: string): void;
};

export type ProgressReporterOptions = {
  out: ProgressOutput;
  /** A terminal gets one redrawn bar; anything else (a log, a pipe) gets plain lines. */
  tty: boolean;
  totalBytes: number;
  /** Where the reader is: bytes and records handed out so far. */
  position: () => { bytes: number; items: number };
  /** Plain lines: how often, in ms; 0 prints one per update. Default 2000. */
  intervalMs?: number;
  now?: () => number;
};

const PREFIX = '[ingest]';
const REDRAW_MS = 200;

/**
 * Progress without counting the file first: the fraction of bytes read tells how many documents
 * the whole file likely holds, and so the ETA. Exact once the whole file has been read.
 */
export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const { out, tty } = options;
  const now = options.now ?? (() => performance.now());
  const intervalMs = options.intervalMs ?? 2000;
  const started = now();
  let counts: IngestCounts = { read: 0, loaded: 0, rejected: 0 };
  let lastPrint = started;
  let barShown = false;

  const figures = () => {
    const seconds = (now() - started) / 1000;
    const position = options.position();
    const fraction = options.totalBytes > 0 ? Math.min(1, position.bytes / options.totalBytes) : 1;
    const done = counts.loaded + counts.rejected;
    // Records per byte so far, times the file's bytes: the likely total, exact at the end.
    const total = fraction > 0 && position.items > 0 ? Math.max(done, Math.round(position.items / fraction)) : undefined;
    const rate = seconds > 0 ? counts.loaded / seconds : 0;
    const eta = total !== undefined && rate > 0 ? (total - done) / rate : undefined;
    return { seconds, fraction, done, total, exact: fraction >= 1, rate, eta };
  };

  const plainLine = () => {
    const f = figures();
    const eta = f.eta === undefined ? '' : `, ETA ${formatDuration(f.eta)}`;
    return (
      `${PREFIX} ${count(counts.loaded)} loaded, ${count(counts.rejected)} rejected, ` +
      `${Math.floor(f.fraction * 100)}% of ${formatBytes(options.totalBytes)} read, ${f.rate.toFixed(1)} docs/s${eta}`
    );
  };

  const barLine = () => {
    const f = figures();
    const share = f.total ? f.done / f.total : 0;
    const width = 24;
    const filled = Math.round(share * width);
    const total = f.total === undefined ? '?' : `${f.exact ? '' : '~'}${count(f.total)}`;
    const eta = f.eta === undefined ? '' : ` ETA ${formatDuration(f.eta)}`;
    const line =
      `${PREFIX} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(share * 100)}% ` +
      `${count(f.done)}/${total} docs, ${counts.rejected} rejected, ${f.rate.toFixed(1)} docs/s${eta}`;
    return out.columns ? line.slice(0, out.columns - 1) : line;
  };

  const redraw = () => {
    out.write(`\r\x1b[2K${barLine()}`);
    barShown = true;
  };
  const clearBar = () => {
    if (barShown) out.write('\r\x1b[2K');
    barShown = false;
  };
  const printPlain = () => {
    out.write(`${plainLine()}\n`);
    lastPrint = now();
  };

  // Ticks between updates too: one batch can take a while, and the clock and ETA should still move.
  const timer = tty ? setInterval(redraw, REDRAW_MS) : intervalMs > 0 ? setInterval(printPlain, intervalMs) : undefined;
  timer?.unref();

  return {
    update(next) {
      counts = next;
      if (tty) {
        if (now() - lastPrint >= REDRAW_MS / 2) {
          redraw();
          lastPrint = now();
        }
      } else if (intervalMs === 0) {
        printPlain();
      }
    },
    note(message) {
      clearBar();
      out.write(`${message}\n`);
      if (tty) redraw();
    },
    finish(summary) {
      if (timer) clearInterval(timer);
      clearBar();
      out.write(`${summary}\n`);
    },
  };
}

/** The run's closing line: what loaded, what did not, how fast. */
export function formatSummary(result: IngestCounts & { seconds: number }): string {
  const rate = result.seconds > 0 ? result.loaded / result.seconds : 0;
  return (
    `${PREFIX} done: ${count(result.loaded)} loaded, ${count(result.rejected)} rejected ` +
    `in ${result.seconds.toFixed(1)} s (${rate.toFixed(1)} docs/s)`
  );
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}
