/**
 * A counting semaphore: at most `max` tasks run at once, the rest wait in arrival order. A waiting
 * task whose signal aborts leaves the queue at once with the signal's reason, so a shutdown or a
 * failed sibling does not leave callers queued behind work that will never be wanted.
 */
export function createConcurrencyLimit(max: number) {
  let running = 0;
  const waiting: Array<() => void> = [];

  // The slot passes straight to the next waiter rather than being freed and re-taken, so a task
  // arriving in between cannot overtake the queue and push the count past `max`.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };

  return {
    async run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
      signal.throwIfAborted();
      if (running < max) running += 1;
      else {
        await new Promise<void>((resolve, reject) => {
          const start = () => {
            signal.removeEventListener('abort', cancel);
            resolve();
          };
          const cancel = () => {
            waiting.splice(waiting.indexOf(start), 1);
            reject(signal.reason);
          };
          waiting.push(start);
          signal.addEventListener('abort', cancel, { once: true });
        });
      }
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
