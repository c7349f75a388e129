import { intFromEnv, runClientLoops, sleep } from './client-loops.js';
import { ADMIN_TOKEN, type Log, createBatchSource, serverEnv, startStandInEmbedder, withTempDir } from './fault-setup.js';
import { type DocumentInput, OPERATIONS, type UpsertData, acknowledges, createTenant, expectOk, tenantHeaders, verifyDocuments } from './narwhal-operations.js';
import { createOutcomeClient } from './outcome-client.js';
import { round } from './search-metrics.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

type CrashRound = {
  round: number;
  acknowledged_batches: number;
  acknowledged_docs: number;
  /** Batches answered with anything but a full acknowledgement before the kill (goal 0). */
  failed_batches: number;
  /** Batches sent but not answered when the server was killed: either outcome is correct for them. */
  in_flight_at_kill: number;
  in_flight_docs_found: number;
  restart_s: number | null;
  restart_error?: string;
  /** Every document acknowledged so far (all rounds), checked after this restart. */
  checked: number;
  found: number;
  lost: number;
  altered: number;
  failed_checks: number;
  document_count: number | null;
  lost_examples: string[];
};

/**
 * kill -9 mid-load, restart on the same DATA_DIR, check every acknowledged document. A writer
 * upserts batches of 100 documents with vectors (distinct ids) as fast as it is answered and
 * records each acknowledged batch; after FAULTS_CRASH_LOAD_MS the server gets SIGKILL, is started
 * again, and every document acknowledged in any round so far is searched for by its own vector.
 */
export async function crashScenario(log: Log) {
  const rounds = intFromEnv('FAULTS_CRASH_ROUNDS', 3);
  const loadMs = intFromEnv('FAULTS_CRASH_LOAD_MS', 4000);
  const writers = intFromEnv('FAULTS_CRASH_WRITERS', 1);
  const embedder = await startStandInEmbedder();
  try {
    return await withTempDir('narwhal-faults-crash-', async (dataDir) => {
      const env = serverEnv(dataDir, embedder.env);
      let server: ServerProcess = await startServerProcess(env);
      const firstStart = server.startSeconds;
      const setup = createOutcomeClient(server.url, { maxSockets: 1 });
      await createTenant(setup, ADMIN_TOKEN, 'crash');
      setup.close();
      const acknowledged: DocumentInput[] = [];
      const results: CrashRound[] = [];
      try {
        for (let r = 1; r <= rounds; r++) {
          const client = createOutcomeClient(server.url, { maxSockets: writers, timeoutMs: 30_000 });
          const sources = Array.from({ length: writers }, (_, w) => createBatchSource(`r${r}w${w}`, 100, r * 10 + w + 1));
          const pending = new Map<number, DocumentInput[]>();
          let killed = false;
          let batches = 0;
          let unexpected = 0;
          let sequence = 0;
          const load = runClientLoops(writers, () => killed, async (w) => {
            const docs = sources[w]!();
            const id = sequence++;
            pending.set(id, docs);
            const outcome = await client.send<UpsertData>(OPERATIONS.upsert, { d: docs }, tenantHeaders('crash'));
            // An acknowledgement counts even if it arrived as the process died; an error after
            // the kill leaves the batch's fate unknown to the client, so it stays in `pending`.
            if (acknowledges(outcome, docs)) {
              pending.delete(id);
              acknowledged.push(...docs);
              batches += 1;
            } else if (!killed) {
              pending.delete(id);
              unexpected += 1;
            }
          });
          await sleep(loadMs);
          const inFlightAtKill = pending.size;
          killed = true;
          await server.stop('SIGKILL');
          await load;
          client.close();
          const inFlight = [...pending.values()];
          if (unexpected > 0) log(`crash round ${r}: ${unexpected} batches failed before the kill`);
          log(`crash round ${r}: killed with ${inFlightAtKill} batch(es) in flight; ${batches} acknowledged this round; restarting`);
          const row: CrashRound = {
            round: r, acknowledged_batches: batches, acknowledged_docs: batches * 100, failed_batches: unexpected, in_flight_at_kill: inFlightAtKill,
            in_flight_docs_found: 0, restart_s: null, checked: 0, found: 0, lost: 0, altered: 0, failed_checks: 0, document_count: null, lost_examples: [],
          };
          results.push(row);
          try {
            server = await startServerProcess(env);
          } catch (error) {
            // PGlite not reopening its files after kill -9 is itself the finding: report it whole.
            row.restart_error = error instanceof Error ? error.message.slice(0, 4000) : String(error);
            log(`crash round ${r}: the server did not restart: ${row.restart_error}`);
            break;
          }
          row.restart_s = round(server.startSeconds, 2);
          const check = createOutcomeClient(server.url, { maxSockets: 4, timeoutMs: 30_000 });
          const verified = await verifyDocuments(check, 'crash', acknowledged);
          const unknown = await verifyDocuments(check, 'crash', inFlight.flat());
          const count = await check.send<{ tenant: { documentCount: number } }>(OPERATIONS.documentCount, {}, tenantHeaders('crash'));
          check.close();
          Object.assign(row, {
            checked: verified.checked, found: verified.found, lost: verified.lost.length, altered: verified.altered.length,
            failed_checks: verified.failedChecks, in_flight_docs_found: unknown.found,
            document_count: count.ok ? expectOk(count, 'documentCount').tenant.documentCount : null,
            lost_examples: [...verified.lost, ...verified.altered].slice(0, 5),
          });
          log(`crash round ${r}: restart ${row.restart_s} s; ${row.found}/${row.checked} acknowledged found, lost ${row.lost}, altered ${row.altered}`);
        }
      } finally {
        if (server.alive()) await server.stop('SIGTERM');
      }
      const restarts = results.flatMap((row) => (row.restart_s === null ? [] : [row.restart_s]));
      return {
        rounds: results,
        first_start_s: round(firstStart, 2),
        acknowledged_docs: acknowledged.length,
        lost: results.at(-1)?.lost ?? null,
        altered: results.at(-1)?.altered ?? null,
        restart_failures: results.filter((row) => row.restart_error).length,
        max_restart_s: restarts.length ? Math.max(...restarts) : null,
      };
    });
  } finally {
    await embedder.server.close();
  }
}

export function describeCrash(figures: Awaited<ReturnType<typeof crashScenario>>): string[] {
  const lines = figures.rounds.map(
    (row) =>
      `  round ${row.round}: acknowledged ${row.acknowledged_docs} docs (${row.acknowledged_batches} batches, ${row.failed_batches} failed), ${row.in_flight_at_kill} batch(es) in flight at kill -9 ` +
      `(${row.in_flight_docs_found} of their docs present after restart); ` +
      (row.restart_error
        ? `RESTART FAILED: ${row.restart_error.split('\n')[0]}`
        : `restart ${row.restart_s} s; all rounds so far: ${row.found}/${row.checked} found intact, lost ${row.lost}, altered ${row.altered}, check failures ${row.failed_checks}, documentCount ${row.document_count}`),
  );
  return [`crash: ${figures.acknowledged_docs} documents acknowledged, lost ${figures.lost}, altered ${figures.altered}, restart failures ${figures.restart_failures}, slowest restart ${figures.max_restart_s} s (first start on an empty DATA_DIR: ${figures.first_start_s} s)`, ...lines];
}
