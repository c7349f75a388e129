import type { Writable } from 'node:stream';

/** Most bytes of log lines queued for a stdout nobody reads; past it lines are dropped and counted. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

/**
 * Where log lines go: stdout, written so that no state of stdout can stop the process.
 *
 * pino's default destination (sonic-boom on fd 1) flushes synchronously when the process exits,
 * and retries a write that cannot complete by sleeping the main thread (Atomics.wait): every
 * 100 ms while a pipe is full, and for ever once its reader has gone (EPIPE). A server whose log
 * reader stalled then never exited, and since its thread slept, no second signal was handled.
 * This writes through process.stdout instead, which never blocks on a pipe (libuv queues what the
 * pipe cannot take yet); it bounds that queue, stops writing once the pipe is broken, and is
 * flushed on shutdown for a bounded time only.
 */
export class LogDestination {
  /** Lines dropped because stdout was not being read or was gone. */
  dropped = 0;
  /** Called once stdout takes lines again after some were dropped (the logger reports it). */
  onResume: ((dropped: number) => void) | undefined;
  private broken = false;
  private droppedSinceResume = 0;

  constructor(
    private readonly stream: Writable,
    private readonly maxQueuedBytes = MAX_QUEUED_BYTES,
  ) {
    // EPIPE (the reader left) or any other write error: nothing more can be written. Without a
    // listener the error would be thrown and end the process.
    stream.on('error', () => {
      this.broken = true;
    });
    stream.on('drain', () => {
      if (this.droppedSinceResume === 0) return;
      const dropped = this.droppedSinceResume;
      this.droppedSinceResume = 0;
      this.onResume?.(dropped);
    });
  }

  write(line: string): void {
    if (this.broken || this.stream.destroyed || this.stream.writableLength >= this.maxQueuedBytes) {
      this.dropped += 1;
      this.droppedSinceResume += 1;
      return;
    }
    this.stream.write(line);
  }

  /** Waits until the queued lines are written, stdout breaks, or timeoutMs passes: never longer. */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!this.broken && !this.stream.destroyed && this.stream.writableLength > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

let stdout: LogDestination | undefined;

/**
 * The process's one stdout destination: stdout is one stream per process, and each destination
 * listens to it, so every logger of the process (apps in tests, CLIs) shares this one.
 */
export function stdoutDestination(): LogDestination {
  stdout ??= new LogDestination(process.stdout);
  return stdout;
}
