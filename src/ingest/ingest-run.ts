import { performance } from 'node:perf_hooks';
import type { DocumentSource } from './document-source.js';
import { type IngestCounts, type IngestResult, type IngestSink, ingestInto } from './ingest.service.js';
import { createProgressReporter, formatDuration, formatSummary } from './progress-reporter.js';
import { openRejectsFile } from './rejects-file.js';

/** Where `npm run ingest` loads: this process's database, or a running server's API. */
export type IngestTarget = {
  tenant: { slug: string; placement: string };
  sink: IngestSink;
  /** Dropped before loading and rebuilt after (--build-index-after; database targets only). */
  index?: { drop(): Promise<void>; build(): Promise<void>; settings: string };
};

export type IngestRunOptions = {
  batchSize: number;
  rejects: string;
  intervalMs: number;
  say: (message: string) => void;
  describeError: (error: unknown) => string;
};

const MAX_NOTED_REJECTIONS = 20;

/**
 * One run of the ingest CLI over a target: progress on stderr, the rejects file, SIGINT/SIGTERM
 * handling. Returns the exit code: 0 everything loaded, 2 some records rejected, 130/143
 * interrupted; a fatal error is thrown (exit code 1).
 */
export async function runIngest(target: IngestTarget, source: DocumentSource, options: IngestRunOptions): Promise<number> {
  const { batchSize, say, describeError: describeFatal } = options;
  const index = target.index;
  const rejects = await openRejectsFile(options.rejects);
  const progress = createProgressReporter({
    out: process.stderr,
    tty: process.stderr.isTTY === true,
    totalBytes: source.totalBytes,
    position: source.position,
    intervalMs: options.intervalMs,
  });
  // SIGINT (Ctrl-C) and SIGTERM (a supervisor, `kill`) stop the run the same way; the same signal
  // again falls back to its default action and kills the process.
  const stop = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    progress.note(`[ingest] interrupted by ${signal}: finishing the batches in flight (${signal} again to kill)`);
    process.off(signal, onSignal);
    stoppedBy ??= signal;
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let result: IngestResult | undefined;
  let counts: IngestCounts = { read: 0, loaded: 0, rejected: 0 };
  try {
    if (index) {
      await index.drop();
      progress.note(`[ingest] dropped the HNSW index of ${target.tenant.slug}; it is rebuilt after loading`);
    }
    result = await ingestInto(target.sink, source.items, {
      batchSize,
      signal: stop.signal,
      onProgress: (next) => {
        counts = next;
        progress.update(next);
      },
      onReject: async (rejection) => {
        await rejects.write(rejection);
        if (rejects.written <= MAX_NOTED_REJECTIONS) progress.note(`[ingest] line ${rejection.line}: ${rejection.error}`);
        if (rejects.written === MAX_NOTED_REJECTIONS + 1) progress.note(`[ingest] more rejected lines: see ${rejects.path}`);
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const { written } = await rejects.close();
    if (result) {
      progress.finish(formatSummary(result));
    } else {
      progress.finish(
        `[ingest] stopped by a fatal error after ${counts.loaded} loaded, ${counts.rejected} rejected ` +
          '(what was loaded stays; re-run to resume)',
      );
    }
    if (written > 0) say(`rejected records (${written}) are in ${rejects.path}`);
    if (index) {
      // Rebuilt after a failure too, so the tenant is not left searching without its index.
      const started = performance.now();
      say(`building the HNSW index of ${target.tenant.slug} (${index.settings})`);
      try {
        await index.build();
        say(`HNSW index built in ${formatDuration((performance.now() - started) / 1000)}`);
      } catch (error) {
        say(`the HNSW index was NOT rebuilt (${describeFatal(error)}): run \`npm run admin -- rebuild-index ${target.tenant.slug}\``);
        if (result) throw error; // else the load's own error is the one to report
      }
    }
  }
  if (result.interrupted) say(`interrupted after ${result.read} records were read: re-run the same command to resume`);
  if (result.withoutExternalId > 0) {
    say(`${result.withoutExternalId} documents had no external id: a re-run would load them again`);
  }
  // The shell's convention for a process stopped by a signal: 128 + its number.
  if (result.interrupted) return stoppedBy === 'SIGTERM' ? 143 : 130;
  return result.rejected > 0 ? 2 : 0;
}

