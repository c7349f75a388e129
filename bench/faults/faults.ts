/**
 * Fault behaviour of the real server (src/main.ts as a child process), scenario by scenario:
 *   crash     kill -9 under a write load, restart on the same DATA_DIR, check every acknowledged document
 *   outage    the database (npm run db:embedded) stopped and restarted under load: how requests fail, recovery
 *   embedder  the embedding provider down: the circuit opens, text search fails fast, vector search goes on
 *   shutdown  SIGTERM under load: in-flight requests finish, exit code and time
 * Progress to stderr; each scenario's figures to stdout, one JSON object with all as the last line.
 *
 *   npm run bench:faults
 *   FAULTS=crash,shutdown npm run bench:faults
 */
import { loadavg } from 'node:os';
import { crashScenario, describeCrash } from './crash.js';
import { describeEmbedder, embedderScenario } from './embedder.js';
import { describeOutage, outageScenario } from './outage.js';
import { describeShutdown, shutdownScenario } from './shutdown.js';
import { round } from '../shared/search-metrics.js';

const SCENARIOS = {
  crash: { run: crashScenario, describe: describeCrash },
  outage: { run: outageScenario, describe: describeOutage },
  embedder: { run: embedderScenario, describe: describeEmbedder },
  shutdown: { run: shutdownScenario, describe: describeShutdown },
} as const;
type Name = keyof typeof SCENARIOS;

const log = (message: string) => process.stderr.write(`[bench:faults] ${message}\n`);
const requested = (process.env.FAULTS ?? Object.keys(SCENARIOS).join(',')).split(',').map((name) => name.trim()).filter(Boolean);
const unknown = requested.filter((name) => !(name in SCENARIOS));
if (unknown.length > 0) throw new Error(`FAULTS names unknown scenarios: ${unknown.join(', ')} (known: ${Object.keys(SCENARIOS).join(', ')})`);

const summary: Record<string, unknown> = { load_average_before: loadavg().map((v) => round(v, 2)) };
console.log(`machine load average before: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
for (const name of requested as Name[]) {
  log(`scenario ${name}`);
  const scenario = SCENARIOS[name];
  try {
    const figures = await scenario.run(log);
    for (const line of scenario.describe(figures as never)) console.log(line);
    summary[name] = figures;
  } catch (error) {
    process.exitCode = 1;
    console.error(`[bench:faults] scenario ${name} failed:`, error);
    summary[name] = { error: error instanceof Error ? error.message : String(error) };
  }
}
summary.load_average_after = loadavg().map((v) => round(v, 2));
console.log(`machine load average after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
console.log(JSON.stringify(summary));
