import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../logging/logger.js';

export type WorkerClusterOptions = {
  workers: number;
  /** Settings every worker gets beside the primary's environment (the admin token the primary resolved). */
  env: Record<string, string>;
  /** How long workers get to stop after a signal before they are killed: their own shutdown timeout and a margin. */
  stopTimeoutMs: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  exit: (code: number) => void;
};

/**
 * The primary of WORKERS server processes sharing one port (node:cluster: the primary accepts
 * connections and hands them to the workers in turn). One Node.js process runs GraphQL on one
 * core; on an external database the workers are independent, so they use every core. The first
 * worker starts alone and the others after it listens: it applies the migrations and seeds the
 * demo tenant, which the others then find done. A worker that dies is replaced; SIGTERM or SIGINT
 * stops every worker gracefully (each drains its own requests) and then the primary.
 */
export function runWorkerCluster(options: WorkerClusterOptions): void {
  const { logger, env } = options;
  let stopping = false;
  const fork = (): Worker => cluster.fork(env);
  const first = fork();
  let started = false;
  first.once('listening', () => {
    started = true;
    for (let i = 1; i < options.workers; i++) fork();
    logger.info(`${options.workers} server workers listening (WORKERS=${options.workers})`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) options.exit(0);
      return;
    }
    // A first worker that never listened failed at startup (configuration, database): the
    // others would fail alike, so the primary stops with it instead of restarting forever.
    if (!started) {
      logger.error(`server worker ${worker.process.pid} exited (${signal ?? `code ${code}`}) before listening; stopping`);
      options.exit(code || 1);
      return;
    }
    logger.error(`server worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`);
    fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping ${Object.keys(cluster.workers ?? {}).length} server workers`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    setTimeout(() => {
      logger.warn('server workers did not stop in time; killing them');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      options.exit(1);
    }, options.stopTimeoutMs).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
