import { createServer as createHttpServer } from 'node:http';
import { startApp } from './app.js';
import { loadConfig } from './config.js';

const config = loadConfig(process.env);
const log = (message: string) => console.log(`[narwhal] ${message}`);
const app = await startApp(config, { log });

if (app.engine.kind === 'embedded') log(`Embedded PostgreSQL (PGlite) for psql: ${app.engine.url}`);
if (!config.adminToken) log(`Admin token (Authorization: Bearer ...): ${app.adminToken}`);

const http = createHttpServer(app.yoga);
http.listen(config.port, config.host, () => {
  log(`GraphQL and GraphiQL at http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}/graphql`);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: closing`);
  http.close();
  http.closeIdleConnections();
  await app.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
