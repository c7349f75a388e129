/**
 * Crash tests stop a server at one step of an offload or restore (OFFLOAD_TEST_PAUSE) and kill it
 * there with SIGKILL, to show the tenant is then whole in the database or whole in its file.
 * - archived: the archive file is durable under its final name; the rows are untouched.
 * - removed: the rows are deleted and the state set, in the transaction, not yet committed.
 * - restored: activateTenant has loaded the rows back, not yet committed.
 */
export const OFFLOAD_PAUSE_POINTS = ['archived', 'removed', 'restored'] as const;
export type OffloadPausePoint = (typeof OFFLOAD_PAUSE_POINTS)[number];

/** The line written to stderr when a pause is reached: what a crash test waits for before killing. */
export function offloadPauseMessage(point: OffloadPausePoint): string {
  return `OFFLOAD_TEST_PAUSE reached: ${point}`;
}

/** At the configured point, says so on stderr and never returns (the test kills the process). */
export async function pauseForCrashTest(configured: OffloadPausePoint | undefined, point: OffloadPausePoint): Promise<void> {
  if (configured !== point) return;
  process.stderr.write(`${offloadPauseMessage(point)}\n`);
  await new Promise<never>(() => {});
}
