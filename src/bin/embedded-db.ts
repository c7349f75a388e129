// `npm run db:embedded`: the embedded PostgreSQL (PGlite + pgvector) on its own, in its own process,
// serving DATA_DIR on EMBEDDED_DB_PORT. A server started with DATABASE_URL=<printed URL> and
// DATABASE_POOL_SIZE=1 then reaches it as it would an external PostgreSQL, so the database can be
// stopped and restarted under a running server (bench/faults/faults.ts measures exactly that).
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { startEmbeddedEngine } from '../db/embedded/embedded-engine.js';
import { stdoutDestination } from '../logging/log-destination.js';
import { createLogger } from '../logging/logger.js';

const config = loadConfig({ ...process.env, SEED_DEMO: 'false' });
const output = stdoutDestination();
const logger = createLogger(config, output);
// The same subdirectory the server uses (app.ts), so one DATA_DIR serves either way.
const dataDir = config.dataDir.startsWith('memory://') ? config.dataDir : join(config.dataDir, 'pgdata');
const engine = await startEmbeddedEngine({ dataDir, port: config.embeddedDbPort, role: 'db:embedded', durable: config.embeddedFsync });
engine.announce?.(engine.url);
logger.info({ url: engine.url, dataDir }, `Embedded PostgreSQL (PGlite) at ${engine.url}`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting without closing the engine');
    process.exit(1);
  }
  stopping = true;
  let code = 0;
  try {
    // A clean close checkpoints PGlite's files, so the next start needs no recovery.
    await engine.close();
    logger.info({ signal }, 'embedded PostgreSQL closed cleanly');
  } catch (error) {
    logger.error({ err: error }, 'embedded PostgreSQL did not close cleanly');
    code = 1;
  }
  // The last lines get a moment to reach a slow stdout, never longer (log-destination.ts).
  await output.flush(2000);
  process.exit(code);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
