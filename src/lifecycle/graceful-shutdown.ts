import type { Server, ServerResponse } from 'node:http';
import type { Logger } from '../logging/logger.js';
import type { Readiness } from '../observability/readiness.js';

export type GracefulShutdownOptions = {
  server: Server;
  app: { close(): Promise<void>; readiness: Readiness };
  /** How long in-flight requests get to finish before their connections are cut. */
  timeoutMs: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** process.exit in main.ts; tests pass their own. */
  exit: (code: number) => void;
  /**
   * Lets the last log lines reach stdout before exit; must itself give up within a bounded time
   * (a stdout nobody reads must not keep the process alive). main.ts: LogDestination.flush.
   */
  flushLogs?: () => Promise<void>;
};

/**
 * Stops a server the way an orchestrator expects on SIGTERM: /ready turns 503, the listener
 * closes (no new connections), requests already in flight finish (up to timeoutMs), then the
 * pool, the engine and the embedder close and the process exits 0. A second signal exits at once.
 * Call it right after creating the server: it counts requests from then on.
 */
export function createGracefulShutdown(options: GracefulShutdownOptions) {
  const { server, app, logger } = options;
  const open = new Set<ServerResponse>();
  let stopping = false;

  server.on('request', (_request, response: ServerResponse) => {
    open.add(response);
    // A request that arrives on a kept-alive connection during shutdown is served, but the
    // connection is not kept: the client reconnects elsewhere.
    if (stopping) response.setHeader('connection', 'close');
    response.once('close', () => {
      open.delete(response);
      // The connection turns idle once its response is written; closing idle ones lets close() finish.
      if (stopping) setImmediate(() => server.closeIdleConnections());
    });
  });

  async function shutdown(signal: string): Promise<void> {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      options.exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal, inFlight: open.size }, 'shutting down: finishing in-flight requests');
    app.readiness.markStopping();
    for (const response of open) if (!response.headersSent) response.setHeader('connection', 'close');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), options.timeoutMs);
    });
    if (await Promise.race([closed.then(() => false), timedOut])) {
      logger.warn({ inFlight: open.size, timeoutMs: options.timeoutMs }, 'shutdown timeout: closing connections with requests in flight');
      server.closeAllConnections();
      await closed;
    }
    clearTimeout(timer);
    let code = 0;
    try {
      await app.close();
      logger.info('closed cleanly');
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      code = 1;
    }
    await options.flushLogs?.();
    options.exit(code);
  }

  return {
    shutdown,
    /** Requests being answered now. */
    get inFlight() {
      return open.size;
    },
  };
}
