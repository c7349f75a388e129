import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import cluster from 'node:cluster';
import { startApp } from './app.js';
import { resolveAdminToken } from './auth/admin-token.js';
import { runWorkerCluster } from './lifecycle/worker-cluster.js';
import { loadConfig } from './config.js';
import { createGracefulShutdown } from './lifecycle/graceful-shutdown.js';
import { stdoutDestination } from './logging/log-destination.js';
import { createLogger } from './logging/logger.js';

// How long the last log lines get to reach a stdout that is slow to read them, at exit.
const LOG_FLUSH_TIMEOUT_MS = 2000;

const config = loadConfig(process.env);
const output = stdoutDestination();
const logger = createLogger(config, output);
const log = (message: string) => logger.info(message);

if (config.workers > 1 && cluster.isPrimary) {
  // Every worker must hold the same admin token: resolved (or generated) once, here.
  const admin = await resolveAdminToken(config);
  if (!config.adminToken) log(`Admin token (Authorization: Bearer ...): ${admin.token}`);
  runWorkerCluster({
    workers: config.workers,
    env: { ADMIN_TOKEN: admin.token },
    stopTimeoutMs: config.shutdownTimeoutMs + 5000,
    logger,
    exit: (code) => void output.flush(LOG_FLUSH_TIMEOUT_MS).finally(() => process.exit(code)),
  });
} else {
  await serve();
}

/** One server process: the only one, or a worker of the cluster. */
async function serve() {
  const app = await startApp(config, { logger, log, role: 'server' });

  if (app.engine.kind === 'embedded') log(`Embedded PostgreSQL (PGlite) for psql: ${app.engine.url}`);
  if (!config.adminToken) log(`Admin token (Authorization: Bearer ...): ${app.adminToken}`);

  const http = createHttpServer(app.yoga);
  const lifecycle = createGracefulShutdown({
    server: http,
    app,
    timeoutMs: config.shutdownTimeoutMs,
    logger,
    exit: (code) => process.exit(code),
    flushLogs: () => output.flush(LOG_FLUSH_TIMEOUT_MS),
  });
  http.listen(config.port, config.host, () => {
    // The bound port, not the configured one: PORT=0 picks a free port.
    const { port } = http.address() as AddressInfo;
    const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}/graphql`;
    app.engine.announce?.(url);
    log(`GraphQL and GraphiQL at ${url}`);
  });

  process.on('SIGINT', () => void lifecycle.shutdown('SIGINT'));
  process.on('SIGTERM', () => void lifecycle.shutdown('SIGTERM'));
}
