import { readFileSync } from 'node:fs';

// Linux's USER_HZ: /proc reports thread times in these ticks (100 on every mainstream kernel).
const TICKS_PER_SECOND = 100;

/**
 * CPU milliseconds the main thread (the server's event loop) has used, from /proc on Linux;
 * undefined elsewhere. process.cpuUsage() would also count the engine's and the load
 * generator's threads, which run in the same process. Resolution 10 ms: read it over a pass.
 */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name, which is parenthesized and may hold spaces: utime, stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Runs a pass and adds the main thread's CPU milliseconds per item over it (undefined off Linux). */
export async function withMainThreadCpu<P>(items: number, pass: () => Promise<P>): Promise<P & { mainCpuMsPerItem: number | undefined }> {
  const before = mainThreadCpuMs();
  const result = await pass();
  const after = mainThreadCpuMs();
  return { ...result, mainCpuMsPerItem: before === undefined || after === undefined ? undefined : (after - before) / items };
}
