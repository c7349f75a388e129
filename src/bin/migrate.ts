// `npm run migrate`: applies pending migrations to the configured database and exits.
import { loadConfig } from '../config.js';
import { startApp } from '../app.js';

const config = loadConfig({ ...process.env, SEED_DEMO: 'false' });
const app = await startApp(config, { log: (message) => console.log(message) });
console.log('Database is up to date.');
await app.close();
