import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = join(import.meta.dirname, '../..');
// USER_HZ: 100 on every Linux architecture Node runs on.
const CLOCK_TICKS = 100;

type ExitStatus = { code: number | null; signal: NodeJS.Signals | null };

/** A Node script of this repository running as a child process, as `npm start` would run it. */
export type NodeProcess = {
  child: ChildProcess;
  pid: number;
  /** Seconds from spawn until the readiness check passed. */
  startSeconds: number;
  exited: Promise<ExitStatus>;
  /** Whether the process is still running. */
  alive(): boolean;
  /** The last stdout lines (JSON log lines) and stderr, for a report when something went wrong. */
  output(): { stdout: string[]; stderr: string };
  /** Peak resident set size so far (VmHWM), in MB; the last value sampled once the process is gone. */
  peakRssMb(): number | undefined;
  /** User + system CPU seconds the process has used so far (all its threads). */
  cpuSeconds(): number | undefined;
  /** CPU seconds so far of each of its threads, by thread id (the engine and the model run in worker threads). */
  threadCpuSeconds(): Map<number, number>;
  /** Sends the signal and waits for the exit; seconds from the signal to the exit. */
  stop(signal?: NodeJS.Signals): Promise<ExitStatus & { seconds: number }>;
};

/** User + system CPU seconds from a /proc stat file: fields 14 and 15, counted after the parenthesised name. */
function statCpuSeconds(path: string): number | undefined {
  try {
    const fields = readFileSync(path, 'utf8').split(') ').at(-1)?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** The server: main.ts with PORT chosen here, ready once GET /ready answers 200. */
export type ServerProcess = NodeProcess & { port: number; url: string };

/** A port nothing listens on right now (the kernel's pick, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Spawns `node --import tsx <script>` with exactly the given environment (plus PATH and HOME),
 * then polls `ready` until it resolves true; rejects with the child's stderr if it exits first.
 */
async function startNodeProcess(
  script: string,
  env: Record<string, string>,
  ready: (stdout: readonly string[]) => Promise<boolean>,
  options: { timeoutMs?: number } = {},
): Promise<NodeProcess> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: process.env.TMPDIR ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid as number;
  const stdout: string[] = [];
  let pending = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    stdout.push(...lines);
    if (stdout.length > 400) stdout.splice(0, stdout.length - 200);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-64_000);
  });
  let exitStatus: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) =>
    child.once('exit', (code, signal) => resolve((exitStatus = { code, signal }))),
  );
  let peakKb: number | undefined;
  const sampleRss = () => {
    try {
      const found = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (found) peakKb = Math.max(peakKb ?? 0, Number(found[1]));
    } catch {
      // Gone already: keep the last value.
    }
  };
  const sampler = setInterval(sampleRss, 500);
  void exited.then(() => clearInterval(sampler));

  const deadline = performance.now() + (options.timeoutMs ?? 180_000);
  for (;;) {
    if (exitStatus) {
      throw new Error(`${script} exited (${JSON.stringify(exitStatus)}) before it was ready:\n${stderr}\n${stdout.slice(-20).join('\n')}`);
    }
    if (await ready(stdout).catch(() => false)) break;
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} was not ready within ${options.timeoutMs ?? 180_000} ms:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const startSeconds = (performance.now() - started) / 1000;
  return {
    child,
    pid,
    startSeconds,
    exited,
    alive: () => exitStatus === undefined,
    output: () => ({ stdout: [...stdout], stderr }),
    peakRssMb: () => {
      sampleRss();
      return peakKb === undefined ? undefined : peakKb / 1024;
    },
    cpuSeconds: () => statCpuSeconds(`/proc/${pid}/stat`),
    threadCpuSeconds: () => {
      const threads = new Map<number, number>();
      try {
        for (const tid of readdirSync(`/proc/${pid}/task`)) threads.set(Number(tid), statCpuSeconds(`/proc/${pid}/task/${tid}/stat`) ?? 0);
      } catch {
        // Gone: no threads.
      }
      return threads;
    },
    async stop(signal = 'SIGTERM') {
      if (exitStatus) return { ...exitStatus, seconds: 0 };
      sampleRss();
      const signalled = performance.now();
      child.kill(signal);
      const status = await exited;
      return { ...status, seconds: (performance.now() - signalled) / 1000 };
    },
  };
}

/** The real server (src/main.ts) on a free port of 127.0.0.1, with the given settings. */
export async function startServerProcess(env: Record<string, string>, options: { port?: number } = {}): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const ready = async () => (await fetch(`${origin}/ready`)).status === 200;
  // Recall sampling off unless asked for: its exact re-runs would add load to what is measured.
  const server = await startNodeProcess('src/main.ts', { HOST: '127.0.0.1', PORT: String(port), RECALL_SAMPLE_RATE: '0', ...env }, ready);
  return { ...server, port, url: `${origin}/graphql` };
}

/** The embedded engine alone (src/bin/embedded-db.ts) serving dataDir on port; ready once it says so. */
export async function startEmbeddedDbProcess(dataDir: string, port: number): Promise<NodeProcess & { url: string }> {
  // Its log line, not a probe connection: the engine serves one connection at a time.
  const announced = async (stdout: readonly string[]) => stdout.some((line) => line.includes('Embedded PostgreSQL (PGlite) at'));
  const env = { DATA_DIR: dataDir, EMBEDDED_DB_PORT: String(port), LOG_LEVEL: 'info' };
  const db = await startNodeProcess('src/bin/embedded-db.ts', env, announced);
  return { ...db, url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable` };
}

