/**
 * Runs one clean-up step of a benchmark, after a failure too: a failing step is reported and
 * fails the run, without hiding the error that came first or skipping the steps after it.
 */
export async function cleanupStep(name: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    process.exitCode = 1;
    console.error(`[bench] cleanup: ${name} failed:`, error);
  }
}
