/**
 * Runs background jobs one at a time, off the request path, each key at most once in the queue
 * (a key queued twice before it runs runs once). For maintenance the database would otherwise need
 * a scheduler for: refreshing statistics, promoting tenants that outgrew the shared pool.
 */
export type BackgroundQueue<K> = {
  enqueue(key: K): void;
  /** Resolves when nothing is queued or running (tests, shutdown). */
  idle(): Promise<void>;
};

export function createBackgroundQueue<K>(run: (key: K) => Promise<void>, onError: (error: unknown) => void): BackgroundQueue<K> {
  const queued = new Set<K>();
  let worker: Promise<void> | undefined;
  const drain = async () => {
    for (const key of queued) {
      queued.delete(key);
      await run(key).catch(onError);
    }
    worker = undefined;
  };
  return {
    enqueue(key) {
      queued.add(key);
      worker ??= drain();
    },
    async idle() {
      while (worker) await worker;
    },
  };
}
