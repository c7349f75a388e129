import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { App } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { createYoga } from 'graphql-yoga';
import { createContextFactory } from '../../src/context.js';
import { useCompiledExecution } from '../../src/graphql/compiled-execution.plugin.js';
import { schema } from '../../src/graphql/schema.js';
import { createServer } from '../../src/server.js';
import { startHttpLoadClient } from '../shared/http-load-client.js';
import { listenOnLoopback } from '../shared/loopback-server.js';
import { round } from '../shared/search-metrics.js';
import { type ServerProcess, startServerProcess } from '../shared/server-process.js';
import { type TimedPass, pooled, withMainThreadCpu } from './thread-cpu.js';

type Figures = Record<string, number | undefined>;
type Lever = { name: string; url: string; persisted?: string; cpuMs: () => number | undefined };

/**
 * The GraphQL-side levers of issue 20, each as a pass of the same search at `clients` clients,
 * in one run, each `repeats` times in alternating order (figures pooled over the repeats: p50,
 * qps, server CPU per request):
 * - compiled: the server as it runs (operations compiled by graphql-jit);
 * - interpreted: the same server executing with graphql-js instead;
 * - persisted: the compiled server, the operation sent as its sha256 (automatic persisted queries)
 *   instead of its text;
 * - no_plugins: Narwhal's schema, context and compiled execution on yoga with none of the
 *   server's own plugins (limits, persisted operations, observability, error reporting...): what
 *   those plugins' hooks cost a search, together;
 * - workers_1 and workers_2: `npm start` as its own process with WORKERS=1 and 2, on an external
 *   database only; CPU per request summed over the worker processes.
 * In-process passes read the main thread's CPU (Linux); a server process's, its worker processes'.
 */
export async function measureGraphqlLevers(
  app: App,
  config: Config,
  tenant: string,
  query: string,
  variables: readonly Record<string, unknown>[],
  clients: number,
  repeats: number,
): Promise<Figures> {
  const hash = createHash('sha256').update(query).digest('hex');
  // The application's own server, but for how it executes operations.
  const interpreted = createServer(app.deps, { ...app.serverOptions, execution: 'graphql-js' });
  const withoutPlugins = createYoga({
    schema,
    context: createContextFactory(app.deps, { adminToken: app.serverOptions.adminToken }),
    landingPage: false,
    graphiql: false,
    logging: false,
    plugins: [useCompiledExecution('compiled')],
  });
  const servers = [
    await listenOnLoopback(app.yoga, '/graphql'),
    await listenOnLoopback(interpreted, '/graphql'),
    await listenOnLoopback(withoutPlugins, '/graphql'),
  ];
  const processes: ServerProcess[] = [];
  const mainThread = () => undefined;
  const levers: Lever[] = [
    { name: 'compiled', url: servers[0]!.url, cpuMs: mainThread },
    { name: 'interpreted', url: servers[1]!.url, cpuMs: mainThread },
    { name: 'persisted', url: servers[0]!.url, persisted: hash, cpuMs: mainThread },
    { name: 'no_plugins', url: servers[2]!.url, cpuMs: mainThread },
  ];
  const figures: Figures = {};
  try {
    if (config.databaseUrl) {
      for (const workers of [1, 2]) {
        const server = await startServerProcess(serverEnv(config, workers, app.deps.embedder.dimensions));
        processes.push(server);
        levers.push({ name: `workers_${workers}`, url: server.url, cpuMs: () => workerCpuMs(server.pid) });
      }
    }
    const loads = levers.map((lever) => startHttpLoadClient(lever.url, { 'x-tenant-id': tenant }, clients));
    try {
      // Warms each lever (and registers the persisted operation: hash and text sent once).
      for (const [i, lever] of levers.entries()) {
        await loads[i]!.pass(query, variables.slice(0, 50), clients, 0);
        if (lever.persisted) await registerPersisted(lever.url, tenant, query, hash, variables[0]!);
      }
      const passes: TimedPass[][] = levers.map(() => []);
      // Repeats in alternating order, as the main passes run: drift is charged to every lever alike.
      for (let repeat = 0; repeat < repeats; repeat++) {
        const order = [...levers.keys()];
        if (repeat % 2 === 1) order.reverse();
        for (const i of order) {
          const before = levers[i]!.cpuMs();
          const pass = await withMainThreadCpu(variables.length, () => loads[i]!.pass(query, variables, clients, 0, undefined, levers[i]!.persisted));
          const after = levers[i]!.cpuMs();
          const cpu = before === undefined || after === undefined ? pass.mainCpuMsPerItem : (after - before) / variables.length;
          passes[i]!.push({ ...pass, mainCpuMsPerItem: cpu });
        }
      }
      for (const [i, lever] of levers.entries()) {
        const { p50, qps, mainCpuMs } = pooled(passes[i]!, variables.length);
        figures[`${lever.name}_p50_ms`] = round(p50, 3);
        figures[`${lever.name}_qps`] = round(qps, 1);
        figures[`${lever.name}_cpu_ms`] = mainCpuMs;
      }
    } finally {
      for (const load of loads) await load.close();
    }
  } finally {
    for (const server of servers) await server.close();
    for (const server of processes) await server.stop('SIGTERM');
  }
  return figures;
}

async function registerPersisted(url: string, tenant: string, query: string, hash: string, variables: Record<string, unknown>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant-id': tenant },
    body: JSON.stringify({ query, variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
  });
  if (response.status !== 200) throw new Error(`registering the persisted operation answered ${response.status}`);
}

/** `npm start` on the benchmark's database, in production's execution mode, as a benchmark runs it. */
function serverEnv(config: Config, workers: number, dimensions: number): Record<string, string> {
  return {
    NODE_ENV: 'development',
    DATABASE_URL: config.databaseUrl as string,
    DATABASE_POOL_SIZE: String(config.databasePoolSize),
    WORKERS: String(workers),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_SECOND: '0',
    SEED_DEMO: 'false',
    GRAPHIQL: 'false',
    // The benchmark's vectors come with each request: the server never calls its embedder,
    // which names the benchmark's dimensions and a port nothing listens on.
    EMBEDDING_PROVIDER: 'openai',
    EMBEDDING_BASE_URL: 'http://127.0.0.1:9/v1',
    EMBEDDING_MODEL: 'bench-vectors',
    EMBEDDING_DIMENSIONS: String(dimensions),
    ...(config.adminToken ? { ADMIN_TOKEN: config.adminToken } : {}),
  };
}

/** CPU milliseconds so far of a server process's workers (its children running main.ts), or of itself alone. */
function workerCpuMs(pid: number): number {
  const children = childProcesses(pid)
    .split('\n')
    .filter((line) => line.includes('src/main.ts'))
    .map((line) => Number.parseInt(line.trim(), 10));
  return (children.length > 0 ? children : [pid]).reduce((sum, child) => sum + processCpuMs(child), 0);
}

// ps exits 1 when the process has no children.
function childProcesses(pid: number): string {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return '';
  }
}

function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
