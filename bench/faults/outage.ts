import { performance } from 'node:perf_hooks';
import { intFromEnv, runClientLoops, sleep } from '../shared/client-loops.js';
import { ADMIN_TOKEN, type Log, createBatchSource, serverEnv, startStandInEmbedder, withTempDir } from './setup.js';
import { checkTenant, describeCheck } from './crash-check.js';
import { type DocumentInput, OPERATIONS, type UpsertData, acknowledges, createTenant, preload, tenantHeaders } from '../shared/narwhal-operations.js';
import { type Outcome, createGraphqlClient } from '../shared/graphql-client.js';
import { type OutcomeSummary, describeSummary, summarizeOutcomes } from '../shared/outcome-tally.js';
import { round } from '../shared/search-metrics.js';
import { type NodeProcess, freePort, startEmbeddedDbProcess, startServerProcess } from '../shared/server-process.js';

type OutageRound = {
  signal: string;
  /** How long the database was down (or frozen). */
  down_s: number;
  /** How long the database process took to exit after the signal. */
  db_stop_s: number;
  db_exit_code: number | null;
  /** Requests answered before the signal, for comparison (goal: no errors). */
  before: OutcomeSummary;
  /** Requests sent before the signal and answered after it. */
  in_flight_at_signal: OutcomeSummary;
  /** The slowest requests of the round: when they were sent (s from the signal), how long they took, how they ended. */
  slowest: { op: string; sent_s: number; ms: number; result: string }[];
  /** Requests sent while the database process was gone (its exit to the restart's spawn): how they failed, how fast. */
  while_down: OutcomeSummary;
  /** Requests sent while the database was starting again (spawn to accepting connections). */
  while_restarting: OutcomeSummary;
  /** Requests that got no answer within the client's timeout, or took over 10 s, in the whole round. */
  hangs: number;
  db_restart_s: number | null;
  db_restart_error?: string;
  /** From the restarted (or resumed) database accepting connections to the end of the first successful request. */
  first_success_after_restart_s: number | null;
  /** Requests sent after the database was back that still failed, by code. */
  after_restart: OutcomeSummary;
  server_alive: boolean;
};

const OPS = { search: 'vector_search', upsert: 'upsert_vectors' } as const;

/**
 * The database in its own process (npm run db:embedded), the server on it through DATABASE_URL
 * with a pool of one. Under a steady load of vector searches and upserts the database is stopped
 * (SIGTERM, then SIGKILL), left down FAULTS_OUTAGE_DOWN_MS, started again on the same files and
 * port; a third round freezes it (SIGSTOP, then SIGCONT) instead. The clients keep sending
 * throughout. Then every acknowledged write is checked.
 */
export async function outageScenario(log: Log) {
  const downMs = intFromEnv('FAULTS_OUTAGE_DOWN_MS', 5000);
  // Longer than the pool's 5 s connection timeout, to show what waits on a frozen connection.
  const freezeMs = intFromEnv('FAULTS_OUTAGE_FREEZE_MS', 15_000);
  const clients = intFromEnv('FAULTS_OUTAGE_CLIENTS', 4);
  const signals = (process.env.FAULTS_OUTAGE_SIGNALS ?? 'SIGTERM,SIGKILL,SIGSTOP').split(',') as NodeJS.Signals[];
  const embedder = await startStandInEmbedder();
  try {
    return await withTempDir('narwhal-faults-outage-', async (dataDir) => {
      const dbPort = await freePort();
      let db: NodeProcess = await startEmbeddedDbProcess(dataDir, dbPort);
      const server = await startServerProcess(serverEnv(dataDir, { ...embedder.env, DATABASE_URL: `postgres://postgres@127.0.0.1:${dbPort}/postgres?sslmode=disable`, DATABASE_POOL_SIZE: '1' }));
      const client = createGraphqlClient(server.url, { maxSockets: clients + 4, timeoutMs: 30_000 });
      const queries = createBatchSource('q', 200, 7)();
      const rounds: OutageRound[] = [];
      const acknowledged: DocumentInput[] = [];
      // Writes that failed: one that failed as its connection died may have committed first, so
      // either outcome is correct for them.
      const unknown: DocumentInput[] = [];
      try {
        await createTenant(client, ADMIN_TOKEN, 'outage');
        const preloaded = createBatchSource('pre', 500, 5)();
        await preload(client, 'outage', preloaded);
        acknowledged.push(...preloaded);
        for (const [index, signal] of signals.entries()) {
          const sources = Array.from({ length: clients }, (_, c) => createBatchSource(`${index}${signal}-c${c}`, 10, 100 + index * 10 + c));
          const outcomes: { op: string; outcome: Outcome }[] = [];
          let stop = false;
          const load = runClientLoops(clients, () => stop, async (c, i) => {
            if (i % 10 < 7) {
              const outcome = await client.send(OPERATIONS.vectorSearch, { v: queries[(c * 31 + i) % queries.length]!.embedding }, tenantHeaders('outage'));
              outcomes.push({ op: OPS.search, outcome });
              return;
            }
            const docs = sources[c]!();
            const outcome = await client.send<UpsertData>(OPERATIONS.upsert, { d: docs }, tenantHeaders('outage'));
            outcomes.push({ op: OPS.upsert, outcome });
            if (acknowledges(outcome, docs)) acknowledged.push(...docs);
            else unknown.push(...docs);
            // A failed write is retried after 20 ms, as a client would; searches are not paced, so
            // they show how fast (and how many) failures come while the database is away.
            if (!outcome.ok) await sleep(20);
          });
          await sleep(3000);
          log(`outage: ${signal} to the database`);
          const signalAt = performance.now();
          let stopped: { code: number | null; seconds: number };
          if (signal === 'SIGSTOP') {
            // Frozen, not gone: connections stay open and nothing answers (a hung host, a partition).
            db.child.kill('SIGSTOP');
            stopped = { code: null, seconds: 0 };
          } else stopped = await db.stop(signal);
          const goneAt = performance.now();
          await sleep(signal === 'SIGSTOP' ? freezeMs : downMs);
          const row: Partial<OutageRound> = { signal, down_s: round((signal === 'SIGSTOP' ? freezeMs : downMs) / 1000, 1), db_stop_s: round(stopped.seconds, 2), db_exit_code: stopped.code };
          let backAt: number | undefined;
          const restartAt = performance.now();
          try {
            if (signal === 'SIGSTOP') db.child.kill('SIGCONT');
            else db = await startEmbeddedDbProcess(dataDir, dbPort);
            backAt = performance.now();
            row.db_restart_s = round(signal === 'SIGSTOP' ? 0 : db.startSeconds, 2);
            log(`outage: database back after ${row.db_restart_s} s`);
          } catch (error) {
            row.db_restart_s = null;
            row.db_restart_error = error instanceof Error ? error.message.slice(0, 4000) : String(error);
            log(`outage: the database did not restart: ${row.db_restart_error}`);
          }
          await sleep(8000);
          stop = true;
          await load;
          const all = outcomes.map((entry) => entry.outcome);
          const firstSuccess = backAt === undefined ? undefined : all.filter((o) => o.ok && o.endedAt >= (backAt as number)).sort((a, b) => a.endedAt - b.endedAt)[0];
          rounds.push({
            ...(row as OutageRound),
            before: summarizeOutcomes(all.filter((o) => o.endedAt <= signalAt)),
            in_flight_at_signal: summarizeOutcomes(all.filter((o) => o.startedAt < signalAt && o.endedAt > signalAt)),
            slowest: [...outcomes]
              .sort((a, b) => b.outcome.latencyMs - a.outcome.latencyMs)
              .slice(0, 3)
              .map(({ op, outcome: o }) => ({
                op,
                sent_s: round((o.startedAt - signalAt) / 1000, 2),
                ms: round(o.latencyMs, 0),
                result: o.ok ? 'ok' : `${o.codes.join(',')}: ${(o.message ?? '').slice(0, 120)}`,
              })),
            while_down: summarizeOutcomes(all.filter((o) => o.startedAt >= goneAt && o.startedAt < restartAt)),
            while_restarting: summarizeOutcomes(all.filter((o) => o.startedAt >= restartAt && o.startedAt < (backAt ?? Infinity))),
            hangs: all.filter((o) => o.networkError === 'CLIENT_TIMEOUT' || o.latencyMs > 10_000).length,
            first_success_after_restart_s: firstSuccess && backAt !== undefined ? round((firstSuccess.endedAt - backAt) / 1000, 2) : null,
            after_restart: summarizeOutcomes(backAt === undefined ? [] : all.filter((o) => o.startedAt >= (backAt as number))),
            server_alive: server.alive(),
          });
          if (!server.alive() || row.db_restart_error) break;
        }
        const check = server.alive() && db.alive() ? await checkTenant(client, 'outage', acknowledged, unknown, 500) : undefined;
        return {
          rounds,
          acknowledged_docs: acknowledged.length,
          failed_write_docs: unknown.length,
          lost: check ? check.missing + check.content_changed + check.vectors_lost_or_altered : null,
          check: check ?? null,
          server_output_tail: server.alive() ? [] : [server.output().stderr.slice(-2000), ...server.output().stdout.slice(-10)],
        };
      } finally {
        client.close();
        if (server.alive()) await server.stop('SIGTERM');
        if (db.alive()) await db.stop('SIGTERM');
      }
    });
  } finally {
    await embedder.server.close();
  }
}

export function describeOutage(figures: Awaited<ReturnType<typeof outageScenario>>): string[] {
  return [
    `outage: ${figures.acknowledged_docs} documents acknowledged (500 preloaded, the rest under load), lost ${figures.lost}`,
    ...(figures.check ? [`  ${describeCheck(figures.check)}; failed writes present ${figures.check.in_flight_present} of ${figures.failed_write_docs}`] : []),
    ...figures.rounds.flatMap((row) => [
      row.signal === 'SIGSTOP'
        ? `  SIGSTOP: database frozen ${row.down_s} s, then SIGCONT; server alive ${row.server_alive}; hangs over 10 s ${row.hangs}`
        : `  ${row.signal}: database exited ${row.db_exit_code} in ${row.db_stop_s} s; down ${row.down_s} s, restarted in ${row.db_restart_s ?? 'FAILED'} s; server alive ${row.server_alive}; hangs over 10 s ${row.hangs}`,
      `    ${describeSummary('answered before the signal', row.before)}`,
      `    ${describeSummary('in flight at the signal', row.in_flight_at_signal)}`,
      `    ${describeSummary('while down', row.while_down)}`,
      `    ${describeSummary('while the database restarts', row.while_restarting)}`,
      `    first success ${row.first_success_after_restart_s} s after the database was back; ${describeSummary('after restart', row.after_restart)}`,
      `    slowest: ${row.slowest.map((s) => `${s.op} sent at ${s.sent_s} s took ${s.ms} ms (${s.result})`).join('; ')}`,
      ...(row.db_restart_error ? [`    DATABASE RESTART FAILED: ${row.db_restart_error.split('\n').slice(0, 3).join(' | ')}`] : []),
    ]),
  ];
}
