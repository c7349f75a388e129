import { readFileSync } from 'node:fs';
import { round, summarizeLatencies } from '../shared/search-metrics.js';

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

/** A timed pass: its latencies, its seconds, and the server's CPU milliseconds per request in it. */
export type TimedPass = { latenciesMs: readonly number[]; seconds: number; mainCpuMsPerItem: number | undefined };

/**
 * Latency percentiles over every repeat of a pass (`items` requests each), requests per second
 * over their total time, and the CPU per request averaged over them (undefined off Linux).
 */
export function pooled(passes: readonly TimedPass[], items: number) {
  const { p50, p99 } = summarizeLatencies(passes.flatMap((pass) => pass.latenciesMs));
  const seconds = passes.reduce((sum, pass) => sum + pass.seconds, 0);
  const cpu = passes.map((pass) => pass.mainCpuMsPerItem);
  const mainCpuMs = cpu.every((ms) => ms !== undefined) ? round(cpu.reduce((sum, ms) => sum + ms, 0) / cpu.length, 3) : undefined;
  return { p50, p99, qps: (items * passes.length) / seconds, mainCpuMs };
}
